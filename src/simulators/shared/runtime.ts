// What both simulators do around each vendor call, before the vendor's own logic: count it, decide on the
// rate limit at arrival (each API in a window of its own, as the vendors limit each API of an app
// separately), and apply the configured faults. Vendor servers render the outcomes in their own
// wire format.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CallStats, type CounterName } from './counters.js'
import { drawLatency, FaultDraws, happens, pause } from './faults.js'
import type { CommonRuntimeOptions, CommonStartOptions } from './options.js'
import type { Random, Seed } from './prng.js'
import { type Admission, RateLimiter } from './rate-limiter.js'

export type CallKind = 'token' | 'data'
/**
 * What the route does with a call: answer it normally ('none'), with the vendor's internal error ('error'),
 * with its normal answer cut off half-way ('malformed'), with a gateway's HTML page ('html'), or not at all
 * because the connection was dropped ('dropped').
 */
export type FaultOutcome = 'none' | 'error' | 'malformed' | 'html' | 'dropped'

const CALL_COUNTER: Record<CallKind, CounterName> = { token: 'tokenCalls', data: 'dataCalls' }

export class SimulatorRuntime {
  readonly stats = new CallStats()
  readonly #settings: () => CommonRuntimeOptions & Pick<CommonStartOptions, 'rateClock'>
  /** One window per API: the vendors limit each API of an app separately. */
  readonly #limiters: Record<CallKind, RateLimiter>
  readonly #admissions = new WeakMap<FastifyRequest, Admission>()
  readonly #closing = new AbortController()
  readonly #draws: FaultDraws
  readonly #random = new WeakMap<FastifyRequest, Random>()

  constructor(settings: () => CommonRuntimeOptions & Pick<CommonStartOptions, 'rateClock'>, faultSeed: Seed) {
    this.#settings = settings
    this.#draws = new FaultDraws(faultSeed)
    const limit = () => ({
      perSecond: settings().rateLimitPerSecond,
      countRefused: settings().rateLimitCountsRefused,
    })
    this.#limiters = { token: new RateLimiter(limit), data: new RateLimiter(limit) }
  }

  /**
   * An onRequest hook for a vendor route. The limit is decided when the call arrives (before the body is
   * read or any latency), as a vendor gateway does; the handler reads the decision with `admission`.
   */
  arrival(kind: CallKind): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
    return async (request, reply) => {
      const now = this.#settings().rateClock()
      this.stats.arrive(now)
      this.stats.add(CALL_COUNTER[kind])
      reply.raw.once('close', () => this.stats.finished())
      const admission = this.#limiters[kind].admit(now)
      if (!admission.allowed) this.stats.add('refusedRateLimit')
      this.#admissions.set(request, admission)
    }
  }

  admission(request: FastifyRequest): Admission {
    return this.#admissions.get(request) ?? { allowed: true }
  }

  #faultsApply(kind: CallKind): boolean {
    return kind === 'data' || this.#settings().faultsOnTokenCalls
  }

  /** The call's own generator of faults (see faults.ts): its latency and its faults come from it. */
  #randomOf(kind: CallKind, request: FastifyRequest): Random {
    let random = this.#random.get(request)
    if (!random) {
      const path = request.url.split('?', 1)[0] ?? ''
      random = this.#draws.next({ kind, path, body: request.body })
      this.#random.set(request, random)
    }
    return random
  }

  /** Waits the configured latency; false when the simulator closed meanwhile (drop the call then). */
  async latency(kind: CallKind, request: FastifyRequest): Promise<boolean> {
    if (this.#faultsApply(kind)) {
      const ms = drawLatency(this.#settings().latencyMs, this.#randomOf(kind, request))
      await pause(ms, this.#closing.signal)
    }
    return !this.#closing.signal.aborted
  }

  /**
   * Draws the injected faults for a call that passed the gateway, in this order: hang, error, malformed,
   * HTML page (each rate is the share of the calls that reach its draw). A hang answers nothing: it ends
   * when `hangMs` passes, the client goes away or the simulator closes, and then the connection is dropped
   * without an answer (a dead upstream, not a slow one).
   */
  async fault(kind: CallKind, request: FastifyRequest, reply: FastifyReply): Promise<FaultOutcome> {
    if (!this.#faultsApply(kind)) return 'none'
    const { hangRate, hangMs, errorRate, malformedRate, htmlErrorRate } = this.#settings()
    const random = this.#randomOf(kind, request)
    if (happens(hangRate, random)) {
      this.stats.add('injectedHangs')
      const clientGone = new AbortController()
      reply.raw.once('close', () => clientGone.abort())
      await pause(hangMs, AbortSignal.any([this.#closing.signal, clientGone.signal]))
      this.drop(reply)
      return 'dropped'
    }
    if (happens(errorRate, random)) {
      this.stats.add('injectedErrors')
      return 'error'
    }
    if (happens(malformedRate, random)) {
      this.stats.add('injectedMalformed')
      return 'malformed'
    }
    if (happens(htmlErrorRate, random)) {
      this.stats.add('injectedHtmlErrors')
      return 'html'
    }
    return 'none'
  }

  /** Ends a call without answering. */
  drop(reply: FastifyReply): FastifyReply {
    reply.hijack()
    reply.raw.destroy()
    return reply
  }

  /** Ends every pending latency and hang so that closing does not wait for them. */
  close(): void {
    this.#closing.abort()
  }
}
