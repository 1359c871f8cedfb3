// How to read a Feishu answer. Feishu signals errors by `code` in the body, with an HTTP status that
// varies (200, 400, 429, 500), so the body decides and the status only breaks ties.

import { VendorError, type VendorErrorDetails } from '../common/vendor-error.js'
import type { VendorResponse } from '../common/vendor-http.js'

const TOKEN_REJECTED = new Set([99991661, 99991663, 99991668, 99991671, 99991677, 1220002])
const RATE_LIMITED = 99991400
/** The tenant's calls of this month are spent (Basic edition); HTTP 429 too, but no rate limit. */
const MONTHLY_QUOTA = 99991403
const UNAVAILABLE = new Set([1225000, 1226500, 1227500])
const BAD_CREDENTIALS = new Set([10003, 10014, 10015])
const PERMISSION_DENIED = new Set([1220005])

interface FeishuBody {
  code: number
  msg?: string
  [field: string]: unknown
}

/** The body when `code` is 0; otherwise throws the classified VendorError. */
export function feishuVerdict(response: VendorResponse, endpoint: string): FeishuBody {
  const body = response.body as Partial<FeishuBody> | undefined
  if (!body || typeof body !== 'object' || typeof body.code !== 'number') {
    const busy = response.statusCode >= 500 || response.statusCode === 429
    throw new VendorError(
      busy ? 'VENDOR_UNAVAILABLE' : 'VENDOR_BAD_RESPONSE',
      `Feishu answered ${endpoint} with HTTP ${response.statusCode} and no JSON body`,
      { vendorCode: response.statusCode, retryable: true },
    )
  }
  const { code } = body
  if (code === 0) return body as FeishuBody
  const message = `Feishu ${endpoint} failed: ${code} ${String(body.msg ?? '').slice(0, 200)}`
  // Waiting a second does not help before the month ends, and every further call would be refused too:
  // not retried, not a rate refusal (the pace is not cut), and it stops the source.
  if (code === MONTHLY_QUOTA) return throwError('VENDOR_QUOTA_EXHAUSTED', message, code)
  if (code === RATE_LIMITED) {
    return throwError('VENDOR_RATE_LIMITED', message, code, {
      retryable: true,
      rateRefusal: true,
      retryAfterMs: resetMs(response),
    })
  }
  if (TOKEN_REJECTED.has(code))
    return throwError('VENDOR_AUTH_FAILED', message, code, { tokenRejected: true })
  if (BAD_CREDENTIALS.has(code)) return throwError('VENDOR_AUTH_FAILED', message, code)
  if (PERMISSION_DENIED.has(code)) return throwError('VENDOR_PERMISSION_DENIED', message, code)
  if (UNAVAILABLE.has(code) || response.statusCode >= 500) {
    return throwError('VENDOR_UNAVAILABLE', message, code, { retryable: true })
  }
  return throwError('VENDOR_BAD_REQUEST', message, code)
}

/** x-ogw-ratelimit-reset: seconds until Feishu's window resets (Feishu sends no Retry-After). */
function resetMs(response: VendorResponse): number | undefined {
  const header = response.headers['x-ogw-ratelimit-reset']
  const seconds = Number(Array.isArray(header) ? header[0] : header)
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 60) * 1000 : undefined
}

function throwError(
  code: ConstructorParameters<typeof VendorError>[0],
  message: string,
  vendorCode: number,
  details: Omit<VendorErrorDetails, 'vendorCode'> = {},
): never {
  throw new VendorError(code, message, { vendorCode, ...details })
}
