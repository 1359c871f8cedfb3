// The request rules of attendance/list. DingTalk documents the limits but not the refusals; every refusal
// here is HTTP 200 with errcode 40035 (DingTalk's generic invalid-parameter code) and a message naming
// the problem.
import { parseWorkDate } from '../../platform/time/work-date.js'
import { isJsonContentType, isPlainObject, parseJsonBody, type VendorReply } from '../shared/vendor-reply.js'
import { dingTalkErrors } from './errors.js'

export const DINGTALK_MAX_USERS = 50
export const DINGTALK_MAX_LIMIT = 50
/**
 * "起始与结束工作日最多相隔7天" can be read as up to 7 days between the two dates (8 days in all) or as a
 * 7-day window. We take the stricter reading: workDateTo at most 6 days after workDateFrom.
 */
export const DINGTALK_MAX_SPAN_DAYS = 7

const DATE_TIME = /^(\d{4}-\d{2}-\d{2}) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d)$/

export interface DingTalkListRequest {
  /** Distinct, in the order given. */
  userIds: string[]
  /** Epoch days of the first and last work day; the time part of the request is ignored. */
  fromDay: number
  toDay: number
  offset: number
  limit: number
}

export type Checked<T> = { ok: true; value: T } | { ok: false; reply: VendorReply }

const refuse = (detail: string): Checked<never> => ({ ok: false, reply: dingTalkErrors.invalidParam(detail) })

function workDay(value: unknown): number | null {
  if (typeof value !== 'string') return null
  const match = DATE_TIME.exec(value)
  return match?.[1] === undefined ? null : parseWorkDate(match[1])
}

/**
 * A Long parameter: a JSON integer, or a string of decimal digits, which is what the vendor's own Java SDK
 * sends (OapiAttendanceListRequest.setOffset(0L) goes out as "0"). Anything else, null: a sign, a space,
 * a fraction, an exponent, hex.
 */
function longParameter(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return null
  return Number(value)
}

export function checkDingTalkList(
  contentType: string | undefined,
  rawBody: unknown,
): Checked<DingTalkListRequest> {
  if (!isJsonContentType(contentType)) return refuse('the body must be JSON (Content-Type: application/json)')
  const body = parseJsonBody(rawBody)
  if (!isPlainObject(body)) return refuse('the body must be a JSON object')

  const fromDay = workDay(body.workDateFrom)
  if (fromDay === null) return refuse('workDateFrom must be a date and time as yyyy-MM-dd HH:mm:ss')
  const toDay = workDay(body.workDateTo)
  if (toDay === null) return refuse('workDateTo must be a date and time as yyyy-MM-dd HH:mm:ss')
  if (fromDay > toDay) return refuse('workDateFrom must not be after workDateTo')
  if (toDay - fromDay + 1 > DINGTALK_MAX_SPAN_DAYS)
    return refuse(
      `workDateFrom and workDateTo must span at most ${DINGTALK_MAX_SPAN_DAYS} days, both included`,
    )

  const userIds = body.userIdList
  if (
    !Array.isArray(userIds) ||
    userIds.length === 0 ||
    userIds.length > DINGTALK_MAX_USERS ||
    !userIds.every((id) => typeof id === 'string' && id !== '')
  )
    return refuse(`userIdList must list 1 to ${DINGTALK_MAX_USERS} userIds`)

  // Both are required by the page (type Long).
  const offset = longParameter(body.offset)
  if (offset === null || offset < 0) return refuse('offset is required and must be an integer ≥ 0')
  const limit = longParameter(body.limit)
  if (limit === null || limit < 1 || limit > DINGTALK_MAX_LIMIT)
    return refuse(`limit is required and must be an integer from 1 to ${DINGTALK_MAX_LIMIT}`)

  return { ok: true, value: { userIds: [...new Set(userIds as string[])], fromDay, toDay, offset, limit } }
}
