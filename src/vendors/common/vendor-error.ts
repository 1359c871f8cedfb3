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
}

/** A failure talking to a vendor, classified into the service's stable codes. Never carries a secret. */
export class VendorError extends Error {
  readonly vendorCode: number | string | null
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined
  readonly tokenRejected: boolean

  constructor(
    readonly code: SourceErrorCode,
    message: string,
    details: VendorErrorDetails = {},
  ) {
    super(message)
    this.name = 'VendorError'
    this.vendorCode = details.vendorCode ?? null
    this.retryable = details.retryable ?? false
    this.retryAfterMs = details.retryAfterMs
    this.tokenRejected = details.tokenRejected ?? false
  }
}

/** Failures that will fail every other block of the source too, so the source stops at once. */
export function failsWholeSource(error: VendorError): boolean {
  return error.code === 'VENDOR_AUTH_FAILED' || error.code === 'VENDOR_PERMISSION_DENIED'
}
