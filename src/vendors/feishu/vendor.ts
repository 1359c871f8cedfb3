// Feishu / Lark, whole: POST /open-apis/attendance/v1/user_tasks/query for up to 50 users and 30 days, no
// pagination, authorized by a tenant_access_token from /open-apis/auth/v3/tenant_access_token/internal.
import type { FeishuSourceConfig } from '../../config/source-config.js'
import { toCompactDate } from '../../platform/time/work-date.js'
import { VendorError } from '../common/vendor-error.js'
import type { VendorResponse } from '../common/vendor-http.js'
import type { VendorDefinition } from '../vendor-definition.js'
import { normalizeFeishuTasks } from './normalize.js'
import type { FeishuTokenResponse, FeishuUserTaskQueryData, FeishuUserTaskResult } from './types.js'
import { feishuVerdict } from './verdict.js'

const TASKS_ENDPOINT = 'user_tasks/query'

export const feishuVendor: VendorDefinition<FeishuSourceConfig> = {
  vendor: 'feishu',
  // check_date_to within 30 days of check_date_from (the endpoint's historical page; the current one names
  // no maximum, so the stricter reading is kept).
  limits: { maxUsersPerCall: 50, maxDaysPerCall: 30 },
  appIdentity: (config) => config.appId,
  vendorCodeOf: (body) => (body as { code?: unknown }).code,

  tokenRequest: (config) => ({
    endpoint: 'tenant_access_token',
    method: 'POST',
    path: '/open-apis/auth/v3/tenant_access_token/internal',
    json: { app_id: config.appId, app_secret: config.appSecret },
  }),

  /** Bad credentials come back as HTTP 200 with a non-zero code. */
  readToken(response) {
    const body = feishuVerdict(response, 'tenant_access_token') as FeishuTokenResponse
    if (typeof body.tenant_access_token !== 'string' || typeof body.expire !== 'number') {
      throw new VendorError('VENDOR_BAD_RESPONSE', 'Feishu answered the token call without a token', {
        vendorCode: 0,
        retryable: true,
      })
    }
    return { token: body.tenant_access_token, expiresInSeconds: body.expire }
  },

  async fetchBlock(block, options, { config, call, log }) {
    const data = await call(
      (token) => ({
        endpoint: TASKS_ENDPOINT,
        method: 'POST',
        path: '/open-apis/attendance/v1/user_tasks/query',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
        searchParams: {
          employee_type: config.employeeType,
          // Always: one invalid or unauthorized id must not fail the other 49; they are reported instead.
          ignore_invalid_users: 'true',
          include_terminated_user: String(config.includeTerminatedUser),
        },
        json: {
          user_ids: block.userIds,
          check_date_from: toCompactDate(block.from),
          check_date_to: toCompactDate(block.to),
          need_overtime_result: options.overtime,
        },
      }),
      readTasks,
    )
    const outcome = normalizeFeishuTasks(data.user_task_results ?? [], {
      source: config.id,
      timezone: config.timezone,
      includeRaw: options.includeRaw,
    })
    if (outcome.skippedRows > 0) {
      log.warn({ source: config.id, skippedRows: outcome.skippedRows }, 'Feishu rows without user or day')
    }
    return {
      days: outcome.days,
      invalidUserIds: stringList(data.invalid_user_ids),
      unauthorizedUserIds: stringList(data.unauthorized_user_ids),
    }
  },
}

function readTasks(response: VendorResponse): FeishuUserTaskQueryData {
  const body = feishuVerdict(response, TASKS_ENDPOINT)
  const data = body.data as FeishuUserTaskQueryData | undefined
  if (
    !data ||
    typeof data !== 'object' ||
    (data.user_task_results && !Array.isArray(data.user_task_results))
  ) {
    throw new VendorError('VENDOR_BAD_RESPONSE', 'Feishu user_tasks/query answered code 0 without data', {
      vendorCode: 0,
      retryable: true,
    })
  }
  return data as FeishuUserTaskQueryData & { user_task_results?: FeishuUserTaskResult[] }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}
