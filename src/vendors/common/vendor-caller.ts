// Everything a call to a vendor goes through, in order: a token (shared) when the call needs one, a
// rate-limit slot (shared), the HTTP call, the vendor's verdict, and — on failure — the one retry with a
// fresh token or the backoff retries. Definitions only build the request and read the answer.
//
// One retry budget per call: a data call makes at most `maxAttempts` attempts, and a token fetch inside an
// attempt is a single exchange (`once`) that counts as that attempt, never a retry loop of its own inside
// the data call's (which was up to 6 × 6 exchanges).
import type { FastifyBaseLogger } from 'fastify'
import type { SourceMetrics } from '../../platform/metrics/service-metrics.js'
import type { RateLimiter, SendPermit } from './rate-limiter.js'
import { DEFAULT_RETRY_POLICY, type RetryPolicy, type RetryTiming, withRetries } from './retry.js'
import { VendorError } from './vendor-error.js'
import { UnsentRequest, type VendorHttp, type VendorRequest, type VendorResponse } from './vendor-http.js'

export interface CallContext {
  signal: AbortSignal
  deadline: number
  /** Counts every data call sent, retries included (the source report's vendorCalls). */
  countCall?: () => void
  onRetry?: (error: VendorError) => void
  /** Where the vendor-call line goes (the request's logger); the source's own logger otherwise. */
  log?: FastifyBaseLogger
}

export type RequestWithoutAttempt = Omit<VendorRequest, 'attempt' | 'signal' | 'deadline' | 'log'>

/** Where a data call gets its token; TokenProvider in production. */
export interface TokenSource {
  get(signal: AbortSignal, deadline: number): Promise<string>
  /** The vendor refused this token: forget it (unless another caller already replaced it). */
  invalidate(token: string): Promise<void>
}

/** Counts calls per month and enforces the source's budget (budgets/call-accounting.ts). */
export interface CallAccountingHooks {
  /** Before each data call: throws a VendorError (budget or quota spent) to refuse it, counts it otherwise. */
  takeDataCall(): Promise<void>
  countTokenCall(): Promise<void>
  /** The vendor answered that its monthly quota is spent, with this code of its own. */
  markQuotaSpent(vendorCode: number | string | null): Promise<void>
}

export interface VendorCallerOptions {
  accounting?: CallAccountingHooks
  policy?: RetryPolicy
  metrics?: SourceMetrics
  /** The clock, sleep and jitter of the retries (tests pass a virtual one). */
  timing?: RetryTiming
  /** The source's id and logger, for the line that reports a cut of its rate (a request's logger first). */
  source?: string
  log?: FastifyBaseLogger
}

/** Stale permits in a row after which a call is sent with the next one whatever its age. */
const MAX_STALE_PERMITS = 3

export class VendorCaller {
  private readonly policy: RetryPolicy

  constructor(
    private readonly http: VendorHttp,
    private readonly limiter: RateLimiter,
    private readonly options: VendorCallerOptions = {},
  ) {
    this.policy = options.policy ?? DEFAULT_RETRY_POLICY
  }

  /**
   * One exchange, paced by the rate limiter, not retried: the token call. Its retries are those of the
   * data call that needed the token.
   */
  async once<T>(
    request: RequestWithoutAttempt,
    read: (response: VendorResponse) => T,
    context: CallContext,
    attempt = 1,
  ): Promise<T> {
    let counted = false
    // Counted when the request is let out onto its socket, once: a caller stopped while it waits for a
    // slot, or after its permit went stale and before the next one, sent nothing the vendor could see.
    const letOut = () => {
      if (!counted) context.countCall?.()
      counted = true
      return true
    }
    for (let stale = 0; ; stale++) {
      const permit = await this.limiter.acquire(context.signal, context.deadline)
      try {
        const response = await this.http.send({
          ...request,
          attempt,
          signal: context.signal,
          deadline: context.deadline,
          log: context.log,
          beforeWrite: () => {
            if (permit.markSent()) return letOut()
            if (stale < MAX_STALE_PERMITS) return false
            // A CPU this starved would make every permit stale: send this one, stamped as it leaves.
            permit.restamp()
            return letOut()
          },
          // It left when its socket was connected, a round trip or more after the permit was checked.
          afterConnect: () => permit.restamp(),
        })
        const value = read(response)
        this.options.metrics?.vendorCall(request.endpoint, 'ok')
        return value
      } catch (error) {
        // The permit went stale before a byte was written: the vendor saw nothing, so this is neither a
        // call nor a retry. Paced again.
        if (error instanceof UnsentRequest) {
          this.options.metrics?.stalePermit()
          continue
        }
        this.options.metrics?.vendorCall(request.endpoint, outcomeOf(error, context.signal))
        if (error instanceof VendorError && error.rateRefusal) await this.slowDown(permit, context)
        throw error
      }
    }
  }

  /** Adaptive pacing: a refusal for rate cuts the source's rate for every replica, once per burst. */
  private async slowDown(permit: SendPermit, context: CallContext): Promise<void> {
    // The cut is a correction: a store that does not answer must not turn the refusal into another error.
    const change = await permit.refusedForRate().catch(() => undefined)
    if (change?.cut) {
      ;(context.log ?? this.options.log)?.warn(
        { source: this.options.source, pacedAt: permit.rateInForce, rateInForce: change.rateInForce },
        'the vendor refused a call for rate: every replica now paces this source slower, climbing back slowly',
      )
    }
  }

  /** A data call authorized with the app's token; `build` puts the token where the vendor wants it. */
  callWithToken<T>(
    tokens: TokenSource,
    build: (token: string) => RequestWithoutAttempt,
    read: (response: VendorResponse) => T,
    context: CallContext,
  ): Promise<T> {
    return withRetries(
      async (attempt) => {
        const token = await tokens.get(context.signal, context.deadline)
        try {
          return await this.dataCall(build(token), read, context, attempt)
        } catch (error) {
          if (!(error instanceof VendorError) || !error.tokenRejected) throw error
          // Expired or revoked: replace it (once for everybody) and send again, within this attempt.
          this.options.metrics?.retry('TOKEN_REJECTED')
          await tokens.invalidate(token)
          const fresh = await tokens.get(context.signal, context.deadline)
          try {
            return await this.dataCall(build(fresh), read, context, attempt)
          } catch (retryError) {
            if (retryError instanceof VendorError && retryError.tokenRejected) {
              throw new VendorError(
                'VENDOR_AUTH_FAILED',
                `the vendor refused a freshly fetched token: ${retryError.message}`,
                { vendorCode: retryError.vendorCode },
              )
            }
            throw retryError
          }
        }
      },
      {
        policy: this.policy,
        signal: context.signal,
        deadline: context.deadline,
        onRetry: this.onRetry(context),
        ...(this.options.timing ? { timing: this.options.timing } : {}),
      },
    )
  }

  /** One data exchange, counted against the month and refused past the budget or a spent quota. */
  private async dataCall<T>(
    request: RequestWithoutAttempt,
    read: (response: VendorResponse) => T,
    context: CallContext,
    attempt: number,
  ): Promise<T> {
    const { accounting } = this.options
    await accounting?.takeDataCall()
    try {
      return await this.once(request, read, context, attempt)
    } catch (error) {
      if (error instanceof VendorError && error.code === 'VENDOR_QUOTA_EXHAUSTED') {
        await accounting?.markQuotaSpent(error.vendorCode).catch(() => {})
      }
      throw error
    }
  }

  private onRetry(context: CallContext): ((error: VendorError) => void) | undefined {
    const { metrics } = this.options
    if (!metrics) return context.onRetry
    return (error) => {
      metrics.retry(error.code)
      context.onRetry?.(error)
    }
  }
}

/** The service error code a failed call counts under, as the source report would classify it. */
function outcomeOf(error: unknown, signal: AbortSignal): string {
  // Stopped from outside (client gone, deadline, or another block's fatal error): not this call's doing.
  if (signal.aborted && error === signal.reason) {
    return error instanceof DOMException && error.name === 'TimeoutError' ? 'TIMEOUT' : 'CANCELLED'
  }
  return error instanceof VendorError ? error.code : 'VENDOR_BAD_RESPONSE'
}
