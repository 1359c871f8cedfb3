// Everything a data call to a vendor goes through, in order: a token (shared), a rate-limit slot (shared),
// the HTTP call, the vendor's verdict, and — on failure — the one retry with a fresh token or the backoff
// retries. Adapters only build the request and read the answer.
import type { FastifyBaseLogger } from 'fastify'
import type { SourceMetrics } from '../../metrics/service-metrics.js'
import type { RateLimiter } from './rate-limiter.js'
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from './retry.js'
import type { TokenProvider } from './token-provider.js'
import { VendorError } from './vendor-error.js'
import type { VendorHttp, VendorRequest, VendorResponse } from './vendor-http.js'

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

export class VendorCaller {
  constructor(
    private readonly http: VendorHttp,
    private readonly limiter: RateLimiter,
    private readonly tokens: TokenProvider,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly metrics?: SourceMetrics,
  ) {}

  /** A call that needs no token (the token call itself): limited and retried like any other. */
  callWithoutToken<T>(
    request: RequestWithoutAttempt,
    read: (response: VendorResponse) => T,
    context: CallContext,
  ) {
    return withRetries((attempt) => this.once(request, read, context, attempt), {
      policy: this.policy,
      signal: context.signal,
      deadline: context.deadline,
      onRetry: this.onRetry(context),
    })
  }

  /** A data call authorized with the app's token; `build` puts the token where the vendor wants it. */
  callWithToken<T>(
    build: (token: string) => RequestWithoutAttempt,
    read: (response: VendorResponse) => T,
    context: CallContext,
  ): Promise<T> {
    return withRetries(
      async (attempt) => {
        const token = await this.tokens.get(context.signal, context.deadline)
        try {
          return await this.once(build(token), read, context, attempt)
        } catch (error) {
          if (!(error instanceof VendorError) || !error.tokenRejected) throw error
          // Expired or revoked: replace it (once for everybody) and try again once.
          this.metrics?.retry('TOKEN_REJECTED')
          await this.tokens.invalidate(token)
          const fresh = await this.tokens.get(context.signal, context.deadline)
          try {
            return await this.once(build(fresh), read, context, attempt)
          } catch (retryError) {
            if (retryError instanceof VendorError && retryError.tokenRejected) {
              throw new VendorError(
                'VENDOR_AUTH_FAILED',
                `the vendor refused a freshly fetched token: ${retryError.message}`,
                {
                  vendorCode: retryError.vendorCode,
                },
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
      },
    )
  }

  private async once<T>(
    request: RequestWithoutAttempt,
    read: (response: VendorResponse) => T,
    context: CallContext,
    attempt: number,
  ): Promise<T> {
    const permit = await this.limiter.acquire(context.signal, context.deadline)
    context.countCall?.()
    permit.markSent()
    try {
      const response = await this.http.send({
        ...request,
        attempt,
        signal: context.signal,
        deadline: context.deadline,
        log: context.log,
      })
      const value = read(response)
      this.metrics?.vendorCall(request.endpoint, 'ok')
      return value
    } catch (error) {
      this.metrics?.vendorCall(request.endpoint, outcomeOf(error, context.signal))
      throw error
    }
  }

  private onRetry(context: CallContext): ((error: VendorError) => void) | undefined {
    const { metrics } = this
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
