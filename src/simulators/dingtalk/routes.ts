// The two DingTalk endpoints. Each call goes through the same steps as at the vendor: the gateway (rate
// limit, then token, then the org's monthly quota for data calls), then the attendance service (faults,
// parameters, data). Every answer is HTTP 200, except an injected gateway page (`htmlErrorRate`).
import type { FastifyInstance } from 'fastify'
import type { MonthlyQuota } from '../shared/monthly-quota.js'
import type { SimulatorRuntime } from '../shared/runtime.js'
import type { TokenStore } from '../shared/token-store.js'
import {
  sendCutOffReply,
  sendHtmlErrorPage,
  sendVendorReply,
  type VendorReply,
} from '../shared/vendor-reply.js'
import { dingTalkErrors } from './errors.js'
import type { DingTalkSimulatorOptions } from './options.js'
import type { DingTalkLister } from './query.js'
import { checkDingTalkList } from './rules.js'
import { fetchAccessToken } from './tokens.js'

export const DINGTALK_TOKEN_PATH = '/gettoken'
export const DINGTALK_LIST_PATH = '/attendance/list'

export interface DingTalkRouteDeps {
  /** Read on every call, so that configure() applies at once. */
  options: DingTalkSimulatorOptions
  runtime: SimulatorRuntime
  tokens: TokenStore
  list: DingTalkLister
  quota: MonthlyQuota
}

const queryString = (query: unknown, name: string): string | undefined => {
  const value = (query as Record<string, unknown>)[name]
  return typeof value === 'string' ? value : undefined
}

export function dingTalkRoutes({ options, runtime, tokens, list, quota }: DingTalkRouteDeps) {
  return (scope: FastifyInstance) => {
    scope.get(DINGTALK_TOKEN_PATH, { onRequest: runtime.arrival('token') }, async (request, reply) => {
      const admission = runtime.admission(request)
      if (!(await runtime.latency('token', request))) return runtime.drop(reply)
      if (!admission.allowed)
        return sendVendorReply(reply, dingTalkErrors.rateLimited(options.rateLimitVariant))
      const fault = await runtime.fault('token', request, reply)
      if (fault === 'dropped') return reply
      if (fault === 'error') return sendVendorReply(reply, dingTalkErrors.busy())
      if (fault === 'html') return sendHtmlErrorPage(reply)
      // A cut-off answer is still the vendor's answer (a token may be issued); only its end is lost.
      const send = (answer: VendorReply) =>
        fault === 'malformed' ? sendCutOffReply(reply, answer) : sendVendorReply(reply, answer)

      if (
        queryString(request.query, 'appkey') !== options.appKey ||
        queryString(request.query, 'appsecret') !== options.appSecret
      ) {
        runtime.stats.add('refusedBadCredentials')
        return send(dingTalkErrors.badCredentials())
      }
      const { token, expiresIn } = fetchAccessToken(tokens, options.tokenTtlSeconds)
      return send({
        status: 200,
        body: { errcode: 0, access_token: token, errmsg: 'ok', expires_in: expiresIn },
      })
    })

    scope.post(DINGTALK_LIST_PATH, { onRequest: runtime.arrival('data') }, async (request, reply) => {
      const admission = runtime.admission(request)
      if (!(await runtime.latency('data', request))) return runtime.drop(reply)
      if (!admission.allowed)
        return sendVendorReply(reply, dingTalkErrors.rateLimited(options.rateLimitVariant))
      const token = queryString(request.query, 'access_token')
      const state = token ? tokens.state(token) : 'missing'
      if (state !== 'valid') {
        runtime.stats.add('refusedBadToken')
        const refusal =
          state === 'missing'
            ? dingTalkErrors.missingToken()
            : state === 'expired'
              ? dingTalkErrors.expiredToken()
              : dingTalkErrors.invalidToken()
        return sendVendorReply(reply, refusal)
      }
      if (!quota.spend()) {
        runtime.stats.add('quotaRefusals')
        return sendVendorReply(reply, dingTalkErrors.quotaExhausted(options.monthlyQuota))
      }
      const fault = await runtime.fault('data', request, reply)
      if (fault === 'dropped') return reply
      if (fault === 'error') return sendVendorReply(reply, dingTalkErrors.busy())
      if (fault === 'html') return sendHtmlErrorPage(reply)
      const send = (answer: VendorReply) =>
        fault === 'malformed' ? sendCutOffReply(reply, answer) : sendVendorReply(reply, answer)

      const checked = checkDingTalkList(request.headers['content-type'], request.body)
      if (!checked.ok) {
        runtime.stats.add('refusedBadParams')
        return send(checked.reply)
      }
      const answered = list(checked.value)
      // Rows in a cut-off answer never reach the client.
      if (fault !== 'malformed') runtime.stats.add('rowsServed', answered.rows)
      return send(answered.reply)
    })
  }
}
