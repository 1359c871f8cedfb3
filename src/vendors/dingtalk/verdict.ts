// How to read a DingTalk answer: errors come as HTTP 200 with a non-zero `errcode`; throttling shows up as
// 90018 or as `errcode: 88` with `sub_code: "90018"`; an IP ban answers an HTML page or {"status":1111}.

import { VendorError } from '../common/vendor-error.js'
import type { VendorResponse } from '../common/vendor-http.js'

const TOKEN_REJECTED = new Set([40001, 40014, 41001, 42001])
/** The app's calls per second (20 on the standard edition) are spent. */
const PER_APP_RATE = 90018
const THROTTLED = new Set([90001, 90002, 90003, 90004, 90005, 90006, 90007, 90008])
const BAD_CREDENTIALS = new Set([40089, 40001])
const PERMISSION_DENIED = new Set([60011, 60020])
const MONTHLY_QUOTA = 90020
const BUSY = -1
const IP_BAN_RETRY_MS = 5 * 60_000

interface DingTalkBody {
  errcode: number
  errmsg?: string
  sub_code?: string
  [field: string]: unknown
}

export type DingTalkCall = 'gettoken' | 'attendance/list'

/** The body when `errcode` is 0; otherwise throws the classified VendorError. */
export function dingTalkVerdict(response: VendorResponse, call: DingTalkCall): DingTalkBody {
  const body = response.body as Partial<DingTalkBody> & { status?: unknown }
  if (!body || typeof body !== 'object' || typeof body.errcode !== 'number') {
    const banned = body && typeof body === 'object' && body.status === 1111
    throw new VendorError(
      banned
        ? 'VENDOR_RATE_LIMITED'
        : response.statusCode >= 500
          ? 'VENDOR_UNAVAILABLE'
          : 'VENDOR_BAD_RESPONSE',
      banned
        ? `DingTalk banned this IP for a while (status 1111) at ${call}`
        : `DingTalk answered ${call} with HTTP ${response.statusCode} and no errcode`,
      {
        vendorCode: banned ? 1111 : response.statusCode,
        retryable: true,
        ...(banned ? { retryAfterMs: IP_BAN_RETRY_MS } : {}),
      },
    )
  }
  const { errcode } = body
  if (errcode === 0) return body as DingTalkBody
  const subCode = body.sub_code === undefined ? '' : ` (sub_code ${String(body.sub_code)})`
  const message = `DingTalk ${call} failed: ${errcode}${subCode} ${String(body.errmsg ?? '').slice(0, 200)}`
  const fail = (code: ConstructorParameters<typeof VendorError>[0], details: object = {}): never => {
    throw new VendorError(code, message, { vendorCode: errcode, ...details })
  }
  if (errcode === PER_APP_RATE || (errcode === 88 && String(body.sub_code) === '90018')) {
    return fail('VENDOR_RATE_LIMITED', { retryable: true, rateRefusal: true })
  }
  // The other throttling codes are API-wide limits or temporary bans: waiting helps, a slower pace of
  // this app's calls would not, so they do not cut the rate in force.
  if (THROTTLED.has(errcode)) return fail('VENDOR_RATE_LIMITED', { retryable: true })
  // The org's metered calls for this calendar month are spent: waiting will not help before the month
  // ends, and every further call would be refused too, so it is not retried and stops the source.
  if (errcode === MONTHLY_QUOTA) return fail('VENDOR_QUOTA_EXHAUSTED')
  if (errcode === BUSY) return fail('VENDOR_UNAVAILABLE', { retryable: true })
  if (call === 'gettoken' && BAD_CREDENTIALS.has(errcode)) return fail('VENDOR_AUTH_FAILED')
  if (call !== 'gettoken' && TOKEN_REJECTED.has(errcode))
    return fail('VENDOR_AUTH_FAILED', { tokenRejected: true })
  if (PERMISSION_DENIED.has(errcode)) return fail('VENDOR_PERMISSION_DENIED')
  return fail(call === 'gettoken' ? 'VENDOR_AUTH_FAILED' : 'VENDOR_BAD_REQUEST')
}
