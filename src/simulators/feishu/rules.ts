// The request rules of user_tasks/query. Each refusal is the vendor's 400 with code 1220001 and a message
// naming the field, as the page's error table describes ("employee_type invalid" and the like).
import { fromCompactDate, parseWorkDate } from '../../platform/time/work-date.js'
import { isJsonContentType, isPlainObject, parseJsonBody, type VendorReply } from '../shared/vendor-reply.js'
import { feishuErrors } from './errors.js'
import { FEISHU_EMPLOYEE_TYPES } from './types.js'

export const FEISHU_MAX_USERS = 50
/**
 * The current page names no maximum span; the historical version said check_date_to must be within 30 days
 * of check_date_from. We take the stricter reading: at most 30 calendar days, both ends included.
 */
export const FEISHU_MAX_SPAN_DAYS = 30

export interface FeishuQueryRequest {
  employeeType: (typeof FEISHU_EMPLOYEE_TYPES)[number]
  ignoreInvalidUsers: boolean
  /** With it, the days of an id's departed employee too (departures.ts). */
  includeTerminatedUser: boolean
  /** Distinct, in the order given. */
  userIds: string[]
  /** yyyyMMdd of the first and last work day, and their epoch days. */
  checkDateFrom: number
  checkDateTo: number
  fromDay: number
  toDay: number
  needOvertimeResult: boolean
}

export type Checked<T> = { ok: true; value: T } | { ok: false; reply: VendorReply }

const refuse = (detail: string): Checked<never> => ({ ok: false, reply: feishuErrors.invalidParam(detail) })

/** Query-string booleans: absent is false; anything but "true"/"false" is refused (stricter than lenient parsing). */
function queryBoolean(value: unknown): boolean | null {
  if (value === undefined) return false
  if (value === 'true') return true
  if (value === 'false') return false
  return null
}

function compactDay(value: unknown): number | null {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 10000101 || value > 99991231)
    return null
  return parseWorkDate(fromCompactDate(value))
}

export function checkFeishuQuery(
  query: Record<string, unknown>,
  contentType: string | undefined,
  rawBody: unknown,
): Checked<FeishuQueryRequest> {
  const employeeType = query.employee_type
  if (
    typeof employeeType !== 'string' ||
    !(FEISHU_EMPLOYEE_TYPES as readonly string[]).includes(employeeType)
  )
    return refuse('employee_type invalid')
  const ignoreInvalidUsers = queryBoolean(query.ignore_invalid_users)
  if (ignoreInvalidUsers === null) return refuse('ignore_invalid_users invalid')
  const includeTerminatedUser = queryBoolean(query.include_terminated_user)
  if (includeTerminatedUser === null) return refuse('include_terminated_user invalid')

  // The page makes "application/json; charset=utf-8" mandatory; we insist on the JSON media type.
  if (!isJsonContentType(contentType)) return refuse('Content-Type must be application/json; charset=utf-8')
  const body = parseJsonBody(rawBody)
  if (!isPlainObject(body)) return refuse('request body must be a JSON object')

  const userIds = body.user_ids
  if (!Array.isArray(userIds) || !userIds.every((id) => typeof id === 'string' && id !== ''))
    return refuse('user_ids invalid')
  // Empty is refused too: the field is required and an empty list asks for nothing.
  if (userIds.length === 0 || userIds.length > FEISHU_MAX_USERS)
    return refuse(`user_ids must have 1 to ${FEISHU_MAX_USERS} items`)

  const fromDay = compactDay(body.check_date_from)
  if (fromDay === null) return refuse('check_date_from invalid')
  const toDay = compactDay(body.check_date_to)
  if (toDay === null) return refuse('check_date_to invalid')
  if (fromDay > toDay) return refuse('check_date_from must not be after check_date_to')
  if (toDay - fromDay + 1 > FEISHU_MAX_SPAN_DAYS)
    return refuse(`check_date_from to check_date_to must span at most ${FEISHU_MAX_SPAN_DAYS} days`)

  const overtime = body.need_overtime_result
  if (overtime !== undefined && typeof overtime !== 'boolean') return refuse('need_overtime_result invalid')

  return {
    ok: true,
    value: {
      employeeType: employeeType as FeishuQueryRequest['employeeType'],
      ignoreInvalidUsers,
      includeTerminatedUser,
      userIds: [...new Set(userIds as string[])],
      checkDateFrom: body.check_date_from as number,
      checkDateTo: body.check_date_to as number,
      fromDay,
      toDay,
      needOvertimeResult: overtime === true,
    },
  }
}
