// The contract every vendor normalizer keeps: vendor rows in, DayResults out, nothing thrown for bad data.

import { formatInZone } from '../platform/time/zoned-time.js'
import type { DayResult } from '../schemas/day-result.js'

export interface NormalizeContext {
  /** Source id, copied into every DayResult. */
  source: string
  /** IANA zone of the source: every time is rendered with its offset, and DingTalk work days are read in it. */
  timezone: string
  /** Keep the vendor rows behind each day in `raw`; when false the `raw` key is left out entirely. */
  includeRaw: boolean
  /**
   * Epoch ms when the vendor answered. DingTalk answers a NotSigned row for a check point that has not come
   * yet: due after this moment, it is `pending`, not `missing`. Without it, NotSigned is always `missing`.
   */
  answeredAt?: number
}

export interface NormalizeOutcome {
  /** Sorted by userId, then workDate (plain code-unit order, so the same on every machine). */
  days: DayResult[]
  /**
   * Rows the normalizer could not place and left out, for the caller to log or report: rows that are not
   * objects or lack a user id or a work date, Feishu `records[]` entries that are not objects, and DingTalk
   * rows whose checkType is neither OnDuty nor OffDuty. Duplicates dropped on purpose are not counted.
   */
  skippedRows: number
}

/** The output order of `NormalizeOutcome.days`; stable sorting keeps the vendor's order within a tie. */
export function compareDays(a: DayResult, b: DayResult): number {
  if (a.userId !== b.userId) return a.userId < b.userId ? -1 : 1
  if (a.workDate !== b.workDate) return a.workDate < b.workDate ? -1 : 1
  return 0
}

// Readers of loose wire values, shared so both vendors are lenient in the same way: ids and times are
// documented as strings on one side and numbers on the other, and real answers mix them up.

/** A non-empty string from a string or a finite number; null for '', absent or anything else. */
export function readText(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return null
}

const DECIMAL_INTEGER = /^-?\d+$/

/** A safe integer from a number or a decimal string ('1609722000', ' 20190819 '); null otherwise. */
export function readInteger(value: unknown): number | null {
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && DECIMAL_INTEGER.test(value.trim())
        ? Number(value.trim())
        : Number.NaN
  return Number.isSafeInteger(number) ? number : null
}

// 0 and negative times are placeholders, not 1970; beyond year 9999 is not a time a vendor means.
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59)

/** Epoch ms that can be a real attendance time; null for placeholders and nonsense. */
export function plausibleMs(epochMs: number | null): number | null {
  return epochMs === null || epochMs <= 0 || epochMs > LATEST_MS ? null : epochMs
}

/** An epoch-ms time rendered in the source's zone, or null when it is missing or not plausible. */
export function readTime(epochMs: number | null, timeZone: string): string | null {
  const plausible = plausibleMs(epochMs)
  return plausible === null ? null : formatInZone(plausible, timeZone)
}

/** Rows and records are objects; a null or a string in their place is skipped, not trusted. */
export function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
