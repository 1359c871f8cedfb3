// Wires one configured source to its vendor: a got instance, the shared rate limiter and token, and the
// vendor's adapter.
import type { Logger } from 'pino'
import type { SourceAdapter } from '../attendance/source.js'
import { appIdentity, type SourceConfig } from '../config/source-config.js'
import type { SecretRedactor } from '../logging/secret-redactor.js'
import type { ServiceMetrics } from '../metrics/service-metrics.js'
import type { SharedStore } from '../store/shared-store.js'
import { RateLimiter } from './common/rate-limiter.js'
import { TokenProvider } from './common/token-provider.js'
import { VendorCaller } from './common/vendor-caller.js'
import { VendorHttp } from './common/vendor-http.js'
import { DingTalkAdapter, readDingTalkToken } from './dingtalk/dingtalk-adapter.js'
import { FeishuAdapter, readFeishuToken } from './feishu/feishu-adapter.js'

export interface AdapterDependencies {
  store: SharedStore
  redactor: SecretRedactor
  log: Logger
  /** Overrides for tests that need short-lived tokens. */
  tokenSafetyMarginSeconds?: number
  /** Where the source's vendor calls, retries, token fetches and rate-limit waits are counted. */
  metrics?: ServiceMetrics
}

export function createAdapter(source: SourceConfig, deps: AdapterDependencies): SourceAdapter {
  // Keys name the vendor, the base URL and the app: two tenants, or Feishu and Lark, never share state.
  const scope = `${source.vendor}:${source.baseUrl}:${appIdentity(source)}`
  const metrics = deps.metrics?.forSource(source.id)
  const http = new VendorHttp({
    source: source.id,
    baseUrl: source.baseUrl,
    requestTimeoutMs: source.requestTimeoutMs,
    maxSockets: source.maxConcurrency + 2,
    log: deps.log,
    vendorCodeOf: (body) =>
      (body as { code?: unknown; errcode?: unknown }).code ?? (body as { errcode?: unknown }).errcode,
    metrics,
  })
  const limiter = new RateLimiter({
    store: deps.store,
    key: `ratelimit:${scope}`,
    ratePerSecond: source.rateLimitPerSecond,
    metrics,
  })
  // The token call goes through the same limiter and retries as data calls; it needs no token itself.
  let caller: VendorCaller
  const tokens = new TokenProvider({
    store: deps.store,
    key: `token:${scope}`,
    safetyMarginSeconds: deps.tokenSafetyMarginSeconds,
    metrics,
    onRefreshError: (error) =>
      deps.log.warn({ source: source.id, err: error }, 'background token refresh failed'),
    fetchToken: (signal, deadline) =>
      source.vendor === 'feishu'
        ? caller.callWithoutToken(
            {
              endpoint: 'tenant_access_token',
              method: 'POST',
              path: '/open-apis/auth/v3/tenant_access_token/internal',
              json: { app_id: source.appId, app_secret: source.appSecret },
            },
            (response) => readFeishuToken(response, deps.redactor),
            { signal, deadline },
          )
        : caller.callWithoutToken(
            {
              endpoint: 'gettoken',
              method: 'GET',
              path: '/gettoken',
              searchParams: { appkey: source.appKey, appsecret: source.appSecret },
            },
            (response) => readDingTalkToken(response, deps.redactor),
            { signal, deadline },
          ),
  })
  caller = new VendorCaller(http, limiter, tokens, undefined, metrics)
  const close = () => http.close()
  return source.vendor === 'feishu'
    ? new FeishuAdapter(source, caller, deps.log, close)
    : new DingTalkAdapter(source, caller, deps.log, close)
}
