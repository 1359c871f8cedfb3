// Feishu: POST /open-apis/attendance/v1/user_tasks/query, authorized by a tenant_access_token.
import type { FastifyBaseLogger as Logger } from 'fastify'
import type {
  Block,
  BlockResult,
  FetchOptions,
  SourceAdapter,
  VendorLimits,
} from '../../attendance/source.js'
import type { FeishuSourceConfig } from '../../config/source-config.js'
import type { SecretRedactor } from '../../logging/secret-redactor.js'
import { toCompactDate } from '../../time/work-date.js'
import type { VendorCaller } from '../common/vendor-caller.js'
import { VendorError } from '../common/vendor-error.js'
import type { VendorResponse } from '../common/vendor-http.js'
import { feishuVerdict } from './feishu-verdict.js'
import { normalizeFeishuTasks } from './normalize.js'
import type { FeishuTokenResponse, FeishuUserTaskQueryData, FeishuUserTaskResult } from './types.js'

export const FEISHU_LIMITS: VendorLimits = { maxUsersPerCall: 50, maxDaysPerCall: 30 }
const TASKS_ENDPOINT = 'user_tasks/query'

export class FeishuAdapter implements SourceAdapter {
  readonly limits = FEISHU_LIMITS

  constructor(
    readonly config: FeishuSourceConfig,
    private readonly caller: VendorCaller,
    private readonly log: Logger,
    private readonly onClose: () => void,
  ) {}

  async fetchBlock(block: Block, options: FetchOptions): Promise<BlockResult> {
    const data = await this.caller.callWithToken(
      (token) => ({
        endpoint: TASKS_ENDPOINT,
        method: 'POST',
        path: '/open-apis/attendance/v1/user_tasks/query',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
        searchParams: {
          employee_type: this.config.employeeType,
          // Always: one invalid or unauthorized id must not fail the other 49; they are reported instead.
          ignore_invalid_users: 'true',
          include_terminated_user: String(this.config.includeTerminatedUser),
        },
        json: {
          user_ids: block.userIds,
          check_date_from: toCompactDate(block.from),
          check_date_to: toCompactDate(block.to),
          need_overtime_result: options.overtime,
        },
      }),
      readTasks,
      { signal: options.signal, deadline: options.deadline, countCall: options.countCall, log: options.log },
    )
    const outcome = normalizeFeishuTasks(data.user_task_results ?? [], {
      source: this.config.id,
      timezone: this.config.timezone,
      includeRaw: options.includeRaw,
    })
    if (outcome.skippedRows > 0) {
      this.log.warn(
        { source: this.config.id, skippedRows: outcome.skippedRows },
        'Feishu rows without user or day',
      )
    }
    return {
      days: outcome.days,
      invalidUserIds: stringList(data.invalid_user_ids),
      unauthorizedUserIds: stringList(data.unauthorized_user_ids),
    }
  }

  async close(): Promise<void> {
    this.onClose()
  }
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

/** Reads the tenant_access_token answer; bad credentials come back as HTTP 200 with a non-zero code. */
export function readFeishuToken(response: VendorResponse, redactor: SecretRedactor) {
  const body = feishuVerdict(response, 'tenant_access_token') as FeishuTokenResponse
  if (typeof body.tenant_access_token !== 'string' || typeof body.expire !== 'number') {
    throw new VendorError('VENDOR_BAD_RESPONSE', 'Feishu answered the token call without a token', {
      vendorCode: 0,
      retryable: true,
    })
  }
  redactor.add(body.tenant_access_token)
  return { token: body.tenant_access_token, expiresInSeconds: body.expire }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}
