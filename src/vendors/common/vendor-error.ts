import { SourceFailure } from '../../domain/attendance/source-failure.js'
import type { SourceErrorCode } from '../../schemas/source-report.js'

export interface VendorErrorDetails {
  /** The vendor's own code (`code`, `errcode`) or the HTTP status; kept as data, not only in the message. */
  vendorCode?: number | string | null
  /** Worth trying again after a pause (throttling, 5xx, busy, network). */
  retryable?: boolean
  /** The vendor said how long to wait (Feishu x-ogw-ratelimit-reset). */
  retryAfterMs?: number
  /** The token was refused: drop it, fetch a new one and try once more. */
  tokenRejected?: boolean
  /** The vendor refused the call for the app's call rate: the source slows down (adaptive pacing). */
  rateRefusal?: boolean
}

/**
 * A failure talking to a vendor, classified into the service's stable codes, with what the vendor caller
 * needs to decide on a retry. The domain sees it as the port's SourceFailure. Never carries a secret.
 */
export class VendorError extends SourceFailure {
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined
  readonly tokenRejected: boolean
  readonly rateRefusal: boolean

  constructor(code: SourceErrorCode, message: string, details: VendorErrorDetails = {}) {
    super(code, message, { vendorCode: details.vendorCode ?? null })
    this.name = 'VendorError'
    this.retryable = details.retryable ?? false
    this.retryAfterMs = details.retryAfterMs
    this.tokenRejected = details.tokenRejected ?? false
    this.rateRefusal = details.rateRefusal ?? false
  }
}
