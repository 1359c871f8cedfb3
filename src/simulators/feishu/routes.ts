// The two Feishu endpoints. Each call goes through the same steps as at the vendor: the gateway (rate
// limit, then token, then the tenant's monthly quota for data calls), then the attendance service (faults,
// parameters, data). A data call is counted against the quota only once it is answered 2xx.
import type { FastifyInstance } from 'fastify'
import type { MonthlyQuota } from '../shared/monthly-quota.js'
import type { SimulatorRuntime } from '../shared/runtime.js'
import type { TokenStore } from '../shared/token-store.js'
import {
  isPlainObject,
  parseJsonBody,
  sendCutOffReply,
  sendHtmlErrorPage,
  sendVendorReply,
  type VendorReply,
} from '../shared/vendor-reply.js'
import { feishuErrors } from './errors.js'
import type { FeishuSimulatorOptions } from './options.js'
import type { FeishuAnswerer } from './query.js'
import { checkFeishuQuery } from './rules.js'
import { bearerToken, fetchTenantToken, tokenRefusal } from './tokens.js'

export const FEISHU_TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal'
export const FEISHU_QUERY_PATH = '/open-apis/attendance/v1/user_tasks/query'

export interface FeishuRouteDeps {
  /** Read on every call, so that configure() applies at once. */
  options: FeishuSimulatorOptions
  runtime: SimulatorRuntime
  tokens: TokenStore
  answer: FeishuAnswerer
  quota: MonthlyQuota
}

export function feishuRoutes({ options, runtime, tokens, answer, quota }: FeishuRouteDeps) {
  const throttled = (retryAfterMs: number) =>
    feishuErrors.rateLimited(options.rateLimitVariant, options.rateLimitPerSecond, retryAfterMs)

  return (scope: FastifyInstance) => {
    scope.post(FEISHU_TOKEN_PATH, { onRequest: runtime.arrival('token') }, async (request, reply) => {
      const admission = runtime.admission(request)
      if (!(await runtime.latency('token', request))) return runtime.drop(reply)
      if (!admission.allowed) return sendVendorReply(reply, throttled(admission.retryAfterMs))
      const fault = await runtime.fault('token', request, reply)
      if (fault === 'dropped') return reply
      if (fault === 'error') return sendVendorReply(reply, feishuErrors.internal())
      if (fault === 'html') return sendHtmlErrorPage(reply)
      // A cut-off answer is still the vendor's answer (a token may be issued); only its end is lost.
      const send = (answer: VendorReply) =>
        fault === 'malformed' ? sendCutOffReply(reply, answer) : sendVendorReply(reply, answer)

      const body = parseJsonBody(request.body)
      const appId = isPlainObject(body) ? body.app_id : undefined
      const appSecret = isPlainObject(body) ? body.app_secret : undefined
      if (typeof appId !== 'string' || typeof appSecret !== 'string' || appId === '' || appSecret === '') {
        runtime.stats.add('refusedBadCredentials')
        return send(feishuErrors.tokenInvalidParam())
      }
      if (appId !== options.appId || appSecret !== options.appSecret) {
        runtime.stats.add('refusedBadCredentials')
        const refusal =
          appId === options.appId ? feishuErrors.tokenWrongSecret() : feishuErrors.tokenUnknownApp()
        return send(refusal)
      }
      const { token, expire } = fetchTenantToken(
        tokens,
        options.tokenTtlSeconds,
        options.feishuReuseThresholdSeconds,
      )
      return send({ status: 200, body: { code: 0, msg: 'ok', tenant_access_token: token, expire } })
    })

    scope.post(FEISHU_QUERY_PATH, { onRequest: runtime.arrival('data') }, async (request, reply) => {
      const admission = runtime.admission(request)
      if (!(await runtime.latency('data', request))) return runtime.drop(reply)
      if (!admission.allowed) return sendVendorReply(reply, throttled(admission.retryAfterMs))
      const refusal = tokenRefusal(tokens, bearerToken(request.headers.authorization))
      if (refusal) {
        runtime.stats.add('refusedBadToken')
        return sendVendorReply(reply, refusal)
      }
      if (quota.spent()) {
        runtime.stats.add('quotaRefusals')
        return sendVendorReply(reply, feishuErrors.quotaExhausted(options.monthlyQuota))
      }
      const fault = await runtime.fault('data', request, reply)
      if (fault === 'dropped') return reply
      if (fault === 'error') return sendVendorReply(reply, feishuErrors.internal())
      if (fault === 'html') return sendHtmlErrorPage(reply)
      const send = (answer: VendorReply) => {
        // Feishu counts no answer with a 4xx or 5xx; a cut-off 200 was still answered.
        if (answer.status < 300) quota.count()
        return fault === 'malformed' ? sendCutOffReply(reply, answer) : sendVendorReply(reply, answer)
      }

      const checked = checkFeishuQuery(
        request.query as Record<string, unknown>,
        request.headers['content-type'],
        request.body,
      )
      if (!checked.ok) {
        runtime.stats.add('refusedBadParams')
        return send(checked.reply)
      }
      const answered = answer(checked.value)
      if (answered.reply.status !== 200) runtime.stats.add('refusedBadParams')
      // Rows in a cut-off answer never reach the client.
      if (fault !== 'malformed') runtime.stats.add('rowsServed', answered.rows)
      return send(answered.reply)
    })
  }
}
