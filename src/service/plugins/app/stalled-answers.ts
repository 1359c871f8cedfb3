// A client that stops reading must not hold its answer for ever. Backpressure makes the query wait for
// its reader (attendance-stream.ts): its workers take no new block, and it keeps its place at the
// source's gate, its timers and its buffers meanwhile. The wait is bounded here, as nginx's send_timeout
// bounds it: an answer with bytes waiting for a client that has taken none of them for STREAM_STALL_MS
// is ended (its socket destroyed), and that unwinds the rest: the stream is destroyed, the query's signal
// aborts, its workers stop and its places are given back.
//
// A query's answer also ends at its deadline (QUERY_TIMEOUT_MS) if it is waiting for its client then:
// the deadline covers the whole answer, time spent waiting for the client included. An answer whose client
// still takes bytes finishes (what is left once the workers have stopped is small). On shutdown every
// answer waiting for a client that takes nothing is ended at once, instead of holding the exit back for
// the grace period.
//
// "Waiting" and "taken" are read from the socket: bytes handed to it that the kernel has not accepted yet
// (writableLength), and the bytes it has accepted (bytesWritten minus those). A silent answer (a slow
// vendor, nothing to send) waits for nobody and is never ended here.
import type { ServerResponse } from 'node:http'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    stalledAnswers: StalledAnswers
  }
}

interface Watched {
  response: ServerResponse
  log: FastifyBaseLogger
  deadline?: number
  /** Bytes the client had taken at the last check. */
  taken: number
  /** Since when bytes have waited with none taken; undefined while the client keeps up. */
  stalledSince?: number
}

type Reason = 'stalled' | 'deadline' | 'shutdown'

const REASONS: Record<Reason, string> = {
  stalled: 'the client took none of the answer for STREAM_STALL_MS',
  deadline: 'the query deadline (QUERY_TIMEOUT_MS) passed while the answer waited for its client',
  shutdown: 'shutting down, and the answer waited for a client that took nothing',
}

export interface StalledAnswersOptions {
  stallMs: number
  /** Epoch ms (tests pass their own clock and call check() themselves). */
  now?: () => number
}

export class StalledAnswers {
  private readonly watched = new Map<ServerResponse, Watched>()
  private readonly now: () => number
  private readonly stallMs: number
  private timer: NodeJS.Timeout | undefined
  private closing = false

  constructor(options: StalledAnswersOptions) {
    this.stallMs = options.stallMs
    this.now = options.now ?? Date.now
  }

  /** How often answers are checked: a stall is noticed within this much of STREAM_STALL_MS. */
  get checkEveryMs(): number {
    return Math.max(10, Math.min(1000, Math.floor(this.stallMs / 4)))
  }

  /** Watches `response` until it closes. */
  watch(response: ServerResponse, log: FastifyBaseLogger): void {
    if (this.watched.has(response)) return
    this.watched.set(response, { response, log, taken: 0 })
    response.once('close', () => this.unwatch(response))
    this.timer ??= setInterval(() => this.check(), this.checkEveryMs).unref()
  }

  /** The answer ends if it waits for its client at or after `deadline` (epoch ms). */
  bound(response: ServerResponse, deadline: number): void {
    const watched = this.watched.get(response)
    if (watched) watched.deadline = deadline
  }

  /** Ends each answer that has waited too long for its client. */
  check(): void {
    const now = this.now()
    for (const watched of this.watched.values()) {
      const waiting = this.waitingSince(watched, now)
      if (waiting === undefined) continue
      // Past the deadline, or shutting down, no wait is allowed: one check without progress ends it.
      const noPatience = this.closing || (watched.deadline !== undefined && now >= watched.deadline)
      if (now - waiting >= this.stallMs) this.end(watched, 'stalled', now - waiting)
      else if (noPatience && now > waiting) {
        this.end(watched, this.closing ? 'shutdown' : 'deadline', now - waiting)
      }
    }
  }

  /** Shutdown: ends every answer whose client is taking nothing now, and any that stops later. */
  endWaiting(): void {
    this.closing = true
    const now = this.now()
    for (const watched of this.watched.values()) {
      const waiting = this.waitingSince(watched, now)
      if (waiting !== undefined && now > waiting) this.end(watched, 'shutdown', now - waiting)
    }
  }

  close(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  get size(): number {
    return this.watched.size
  }

  /** Since when bytes have waited with none taken, or undefined while the client keeps up. */
  private waitingSince(watched: Watched, now: number): number | undefined {
    const socket = watched.response.socket
    // light-my-request's sockets (app.inject) have no queue to wait on.
    if (!socket || typeof socket.writableLength !== 'number') return undefined
    const waiting = socket.writableLength
    const taken = socket.bytesWritten - waiting
    if (waiting === 0 || taken !== watched.taken) {
      watched.taken = taken
      watched.stalledSince = waiting === 0 ? undefined : now
      return undefined
    }
    watched.stalledSince ??= now
    return watched.stalledSince
  }

  private end(watched: Watched, reason: Reason, stalledMs: number): void {
    watched.log.warn(
      { reason, stalledMs, waitingBytes: watched.response.socket?.writableLength ?? 0 },
      `answer ended: ${REASONS[reason]}`,
    )
    this.unwatch(watched.response)
    watched.response.destroy()
  }

  private unwatch(response: ServerResponse): void {
    this.watched.delete(response)
    if (this.watched.size === 0) this.close()
  }
}

async function stalledAnswersPlugin(fastify: FastifyInstance) {
  const stalledAnswers = new StalledAnswers({ stallMs: fastify.config.streamStallMs })
  fastify.decorate('stalledAnswers', stalledAnswers)
  // Every answer: a query's streamed days, a file, an export's download, an error.
  fastify.addHook('onRequest', async (request, reply) => {
    stalledAnswers.watch(reply.raw, request.log)
  })
  // Before the server stops accepting and waits for the answers in flight to end.
  fastify.addHook('preClose', async () => {
    stalledAnswers.endWaiting()
  })
  fastify.addHook('onClose', async () => {
    stalledAnswers.close()
  })
}

export default fp(stalledAnswersPlugin, { name: 'stalled-answers' })
