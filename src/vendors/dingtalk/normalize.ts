// DingTalk attendance/list → DayResults. DingTalk answers one row per scheduled check point; rows are
// grouped into days by userId and workDate, and each OnDuty row is paired with the next OffDuty row.
// Pure; bad rows are counted, never thrown.

import { nearestWorkDateInZone } from '../../platform/time/zoned-time.js'
import type { Check, DayResult, Segment } from '../../schemas/day-result.js'
import {
  compareDays,
  isObject,
  type NormalizeContext,
  type NormalizeOutcome,
  plausibleMs,
  readInteger,
  readText,
  readTime,
} from '../normalize-types.js'
import type { DingTalkRecord } from './types.js'

const RESULTS = new Map<string, Check['result']>([
  ['Normal', 'normal'],
  ['Early', 'early'],
  ['Late', 'late'],
  ['SeriousLate', 'serious_late'],
  ['Absenteeism', 'absenteeism_late'],
  ['NotSigned', 'missing'],
])

const LOCATIONS = new Map<string, NonNullable<Check['locationResult']>>([
  ['Normal', 'normal'],
  ['Outside', 'outside'],
  ['NotSigned', 'missing'],
])

const METHODS = new Map<string, NonNullable<Check['method']>>([
  ['USER', 'user'],
  ['BOSS', 'admin_edit'],
  ['SYSTEM', 'system'],
  ['AUTO_CHECK', 'auto_check'],
  ['ATM', 'attendance_machine'],
  ['DING_ATM', 'attendance_machine'],
  ['BEACON', 'beacon'],
  ['APPROVE', 'approval'],
])

const CHECK_TYPE_ORDER = new Map([
  ['OnDuty', 0],
  ['OffDuty', 1],
])

interface DayRows {
  userId: string
  workDate: string
  rows: DingTalkRecord[]
}

export interface DingTalkOutcome extends NormalizeOutcome {
  /**
   * Days whose `workDate` is not a local midnight in the source's zone (the attendance group sits in another
   * zone): placed on the nearest local midnight and counted, for the TIMEZONE_MISMATCH warning.
   */
  daysOffMidnight: number
}

export function normalizeDingTalkRecords(
  rows: readonly DingTalkRecord[],
  context: NormalizeContext,
): DingTalkOutcome {
  const seen = new Set<string>()
  const byDay = new Map<string, DayRows>()
  const offMidnight = new Set<string>()
  let skippedRows = 0
  for (const row of rows) {
    const userId = isObject(row) ? readText(row.userId) : null
    const workDateMs = isObject(row) ? plausibleMs(readInteger(row.workDate)) : null
    if (userId === null || workDateMs === null) {
      skippedRows++
      continue
    }
    // Pages fetched while data changes can repeat a row; the first copy wins.
    const key = dedupeKey(row, userId, workDateMs)
    if (seen.has(key)) continue
    seen.add(key)
    // workDate is the local midnight of the work day in the group's zone. Read in the source's zone, the
    // nearest midnight is that day even when the group's zone differs (by up to ±11 h); a plain local date
    // would put every day of a zone east of the source's one day early.
    const { workDate, exact } = nearestWorkDateInZone(workDateMs, context.timezone)
    const dayKey = `${userId}|${workDate}` // unambiguous: workDate has a fixed shape at the end
    if (!exact) offMidnight.add(dayKey)
    let day = byDay.get(dayKey)
    if (day === undefined) {
      day = { userId, workDate, rows: [] }
      byDay.set(dayKey, day)
    }
    day.rows.push(row)
  }
  const days: DayResult[] = []
  for (const day of byDay.values()) {
    const sorted = day.rows.sort(inScheduledOrder)
    const { segments, order, unpaired } = pair(sorted, context)
    skippedRows += unpaired
    const result: DayResult = {
      source: context.source,
      vendor: 'dingtalk',
      userId: day.userId,
      employeeName: null,
      workDate: day.workDate,
      timezone: context.timezone,
      groupId: sorted.map((row) => readText(row.groupId)).find((id) => id !== null) ?? null,
      shiftId: null,
      segments,
    }
    if (context.includeRaw) result.raw = order
    days.push(result)
  }
  return { days: days.sort(compareDays), skippedRows, daysOffMidnight: offMidnight.size }
}

/** The row id; without one, what makes a row unique: one check point of one user on one day. */
function dedupeKey(row: DingTalkRecord, userId: string, workDateMs: number): string {
  const id = readText(row.id)
  if (id !== null) return `id:${id}`
  return `point:${userId}|${workDateMs}|${readText(row.checkType)}|${readInteger(row.baseCheckTime)}`
}

/** By scheduled time (rows without one last), OnDuty before OffDuty at the same time, then by id. */
function inScheduledOrder(a: DingTalkRecord, b: DingTalkRecord): number {
  const atA = readInteger(a.baseCheckTime) ?? Number.POSITIVE_INFINITY
  const atB = readInteger(b.baseCheckTime) ?? Number.POSITIVE_INFINITY
  if (atA !== atB) return atA < atB ? -1 : 1
  const typeA = CHECK_TYPE_ORDER.get(String(a.checkType)) ?? 2
  const typeB = CHECK_TYPE_ORDER.get(String(b.checkType)) ?? 2
  if (typeA !== typeB) return typeA - typeB
  return compareIds(a.id, b.id)
}

function compareIds(a: unknown, b: unknown): number {
  const numberA = readInteger(a)
  const numberB = readInteger(b)
  if (numberA !== null && numberB !== null) return numberA - numberB
  const textA = readText(a) ?? '\uffff'
  const textB = readText(b) ?? '\uffff'
  return textA === textB ? 0 : textA < textB ? -1 : 1
}

interface Paired {
  segments: Segment[]
  /** The day's rows in the order they were used; what `raw` shows. */
  order: DingTalkRecord[]
  /** Rows that are neither OnDuty nor OffDuty. */
  unpaired: number
}

/**
 * Walks the day's rows in order: an OnDuty opens a segment, the next OffDuty closes it. An OffDuty with
 * nothing open is a segment without a check-in; an OnDuty that meets another OnDuty (or the end of the
 * day) is a segment without a check-out.
 *
 * At one baseCheckTime an OnDuty sorts first, so a zero-length pair stays one segment; but when a segment
 * is already open, an OffDuty at the same time as the next OnDuty closes it first. Otherwise touching
 * shifts (09–12 and 12–18) would come out as 09–none, 12–12, none–18.
 *
 * A row whose checkType is neither OnDuty nor OffDuty cannot be told to be a check-in or a check-out, and
 * guessing would put a wrong time into a segment; it is left out of the segments and counted in
 * `unpaired` (so in `skippedRows`), and it stays in the day's `raw` rows for whoever needs to look.
 */
function pair(sorted: readonly DingTalkRecord[], context: NormalizeContext): Paired {
  const rows = [...sorted]
  const paired: Paired = { segments: [], order: [], unpaired: 0 }
  const close = (checkIn: Check | null, offDuty: DingTalkRecord | null) => {
    paired.segments.push({
      overtime: false,
      checkIn,
      checkOut: offDuty === null ? null : toCheck(offDuty, context),
    })
    if (offDuty !== null) paired.order.push(offDuty)
  }
  let open: Check | null = null
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index] as DingTalkRecord
    if (row.checkType === 'OnDuty') {
      if (open !== null) {
        const closer = sameTimeOffDuty(rows, index)
        close(open, closer === null ? null : (rows.splice(closer, 1)[0] ?? null))
      }
      open = toCheck(row, context)
      paired.order.push(row)
    } else if (row.checkType === 'OffDuty') {
      close(open, row)
      open = null
    } else {
      paired.unpaired++
      paired.order.push(row)
    }
  }
  if (open !== null) close(open, null)
  return paired
}

/** Index of an OffDuty due at the same time as the OnDuty at `index` (sorted after it), or null. */
function sameTimeOffDuty(rows: readonly DingTalkRecord[], index: number): number | null {
  const at = readInteger(rows[index]?.baseCheckTime)
  if (at === null) return null
  for (let next = index + 1; next < rows.length && readInteger(rows[next]?.baseCheckTime) === at; next++) {
    if (rows[next]?.checkType === 'OffDuty') return next
  }
  return null
}

function toCheck(row: DingTalkRecord, context: NormalizeContext): Check {
  const timeZone = context.timezone
  const vendorResult = readText(row.timeResult) ?? ''
  const vendorLocation = readText(row.locationResult)
  const sourceType = readText(row.sourceType)
  return {
    result: notDueYet(row, vendorResult, context) ? 'pending' : (RESULTS.get(vendorResult) ?? 'unknown'),
    vendorResult,
    scheduledAt: readTime(readInteger(row.baseCheckTime), timeZone),
    // NotSigned rows carry userCheckTime = baseCheckTime, which is not a check.
    checkedAt: vendorResult === 'NotSigned' ? null : readTime(readInteger(row.userCheckTime), timeZone),
    recordId: readText(row.recordId),
    approvalId: readText(row.procInstId) ?? readText(row.approveId),
    resultSupplement: null,
    locationName: null,
    locationResult: vendorLocation === null ? null : (LOCATIONS.get(vendorLocation) ?? 'unknown'),
    vendorLocationResult: vendorLocation,
    method: sourceType === null ? null : (METHODS.get(sourceType) ?? 'unknown'),
    vendorMethod: sourceType,
  }
}

/**
 * A NotSigned row without a record whose check point was still to come when DingTalk answered: the person
 * has not missed it, it has not happened (DingTalk answers a row per check point, future ones included).
 */
function notDueYet(row: DingTalkRecord, vendorResult: string, context: NormalizeContext): boolean {
  if (vendorResult !== 'NotSigned' || context.answeredAt === undefined || readText(row.recordId) !== null)
    return false
  const due = plausibleMs(readInteger(row.baseCheckTime))
  return due !== null && due > context.answeredAt
}
