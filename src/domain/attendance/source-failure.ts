// The failure type of the port: what the domain needs to know when a source cannot answer a block. Vendor
// adapters throw subclasses of it (with their own retry details); the domain never imports them.
import type { SourceErrorCode } from '../../schemas/source-report.js'

export interface SourceFailureDetails {
  /** The vendor's own code (`code`, `errcode`) or the HTTP status; kept as data, not only in the message. */
  vendorCode?: number | string | null
  /**
   * The failure will fail every other block of this source too (bad credentials, no permission, the
   * month's quota spent): the source stops at once and makes no further call.
   */
  stopsSource?: boolean
}

export class SourceFailure extends Error {
  readonly vendorCode: number | string | null
  readonly stopsSource: boolean

  constructor(
    readonly code: SourceErrorCode,
    message: string,
    details: SourceFailureDetails = {},
  ) {
    super(message)
    this.name = 'SourceFailure'
    this.vendorCode = details.vendorCode ?? null
    this.stopsSource = details.stopsSource ?? STOPS_SOURCE.has(code)
  }
}

/** Codes that mean no other block of the source can succeed either. */
const STOPS_SOURCE = new Set<SourceErrorCode>([
  'VENDOR_AUTH_FAILED',
  'VENDOR_PERMISSION_DENIED',
  'VENDOR_QUOTA_EXHAUSTED',
  'VENDOR_BUDGET_EXHAUSTED',
])
