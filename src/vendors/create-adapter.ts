// Wires one configured source to its vendor: one got instance, the shared rate limiter and token, the
// retries, and the vendor's definition. Nothing here knows a vendor's wire format.
import type { Logger } from 'pino'
import type { SourceConfig } from '../config/source-config.js'
import type { SourceAdapter } from '../domain/attendance/source.js'
import type { SecretRedactor } from '../platform/logging/secret-redactor.js'
import type { ServiceMetrics } from '../platform/metrics/service-metrics.js'
import type { SharedStore } from '../store/shared-store.js'
import { RateLimiter } from './common/rate-limiter.js'
import { TokenProvider } from './common/token-provider.js'
import { type CallAccountingHooks, VendorCaller } from './common/vendor-caller.js'
import { VendorHttp } from './common/vendor-http.js'
import { vendorOf } from './registry.js'

export interface AdapterDependencies {
  store: SharedStore
  redactor: SecretRedactor
  log: Logger
  /** Overrides for tests that need short-lived tokens. */
  tokenSafetyMarginSeconds?: number
  /** Where the source's vendor calls, retries, token fetches and rate-limit waits are counted. */
  metrics?: ServiceMetrics
  /** Calls per month, the budget and the vendor's spent quota, shared by the replicas. */
  accounting?: CallAccountingHooks
}

export function createAdapter<C extends SourceConfig>(source: C, deps: AdapterDependencies): SourceAdapter {
  const vendor = vendorOf(source)
  // Keys name the vendor, the base URL and the app: two tenants, or Feishu and Lark, never share state.
  const scope = `${source.vendor}:${source.baseUrl}:${vendor.appIdentity(source)}`
  const metrics = deps.metrics?.forSource(source.id)
  const http = new VendorHttp({
    source: source.id,
    baseUrl: source.baseUrl,
    requestTimeoutMs: source.requestTimeoutMs,
    // Every call the source can have in flight at once: each running query's block workers, plus the
    // token call. Fewer sockets would make a call wait for one after the limiter stamped it as sent.
    maxSockets: source.maxConcurrency * source.maxConcurrentQueries + 1,
    log: deps.log,
    vendorCodeOf: vendor.vendorCodeOf,
    metrics,
  })
  const limiter = new RateLimiter({
    store: deps.store,
    // The limiter's script touches this key and two derived from it: one hash tag keeps them in one slot.
    key: `ratelimit:{${scope}}`,
    ratePerSecond: source.rateLimitPerSecond,
    metrics,
  })
  const caller = new VendorCaller(http, limiter, {
    metrics,
    accounting: deps.accounting,
    source: source.id,
    log: deps.log,
  })
  const tokens = new TokenProvider({
    store: deps.store,
    key: `token:${scope}`,
    safetyMarginSeconds: deps.tokenSafetyMarginSeconds,
    metrics,
    onRefreshError: (error) =>
      deps.log.warn({ source: source.id, err: error }, 'background token refresh failed'),
    // Paced like any call, but one exchange: the data call that needs the token owns the retries.
    fetchToken: async (signal, deadline) => {
      await deps.accounting?.countTokenCall().catch(() => {})
      return caller.once(
        vendor.tokenRequest(source),
        (response) => {
          const fetched = vendor.readToken(response)
          deps.redactor.add(fetched.token)
          return fetched
        },
        { signal, deadline },
      )
    },
  })
  return {
    config: source,
    limits: vendor.limits,
    fetchBlock: (block, options) =>
      vendor.fetchBlock(block, options, {
        config: source,
        log: deps.log,
        call: (build, read) =>
          caller.callWithToken(tokens, build, read, {
            signal: options.signal,
            deadline: options.deadline,
            countCall: options.countCall,
            log: options.log,
          }),
      }),
    rateInForce: () => limiter.rateInForce(),
    close: async () => http.close(),
  }
}
