// Feishu user_tasks/query → DayResults: one per `user_task_results` entry, one Segment per `records[]`
// entry. Pure; bad rows are counted, never thrown.

import { fromCompactDate, parseWorkDate } from '../../platform/time/work-date.js'
import type { Check, DayResult, Segment } from '../../schemas/day-result.js'
import {
  compareDays,
  isObject,
  type NormalizeContext,
  type NormalizeOutcome,
  readInteger,
  readText,
  readTime,
} from '../normalize-types.js'
import type { FeishuTaskRecord, FeishuUserFlow, FeishuUserTaskResult } from './types.js'

const RESULTS = new Map<string, Check['result']>([
  ['Normal', 'normal'],
  ['Early', 'early'],
  ['Late', 'late'],
  // Not in the documented check_in_result / check_out_result enum (only the record-level check_result
  // lists it), so the simulator never sends it; kept because a tenant's answers may still carry it, and
  // where sources disagree the service tolerates both (vendor-docs/FACTS.md).
  ['SeriousLate', 'serious_late'],
  ['Lack', 'missing'],
  ['Todo', 'pending'],
  ['NoNeedCheck', 'not_required'],
  ['SystemCheck', 'system'],
])

const METHODS = new Map<number, NonNullable<Check['method']>>([
  [0, 'user'],
  [1, 'admin_edit'],
  [2, 'correction'],
  [3, 'system'],
  [4, 'auto_check_out'],
  [5, 'attendance_machine'],
  [6, 'quick_check'],
  [7, 'import'],
])

// Results that say the person has not checked, whatever record may be attached.
const NOT_CHECKED = new Set(['Lack', 'Todo'])

/** One side (check-in or check-out) of a `records[]` entry. */
interface Side {
  result: unknown
  supplement: unknown
  shiftTime: unknown
  recordId: unknown
  flow: FeishuUserFlow | undefined
}

export function normalizeFeishuTasks(
  results: readonly FeishuUserTaskResult[],
  context: NormalizeContext,
): NormalizeOutcome {
  const seen = new Set<string>()
  const days: DayResult[] = []
  let skippedRows = 0
  for (const entry of results) {
    const userId = isObject(entry) ? readText(entry.user_id) : null
    const workDate = isObject(entry) ? readDay(entry.day) : null
    if (userId === null || workDate === null) {
      skippedRows++
      continue
    }
    // Windows that touch can return the same entry twice; the first copy wins.
    const resultId = readText(entry.result_id)
    const key = resultId === null ? `user-day:${userId}|${workDate}` : `result:${resultId}`
    if (seen.has(key)) continue
    seen.add(key)

    const records = Array.isArray(entry.records) ? entry.records : []
    const usable = records.filter(isObject)
    skippedRows += records.length - usable.length
    const day: DayResult = {
      source: context.source,
      vendor: 'feishu',
      userId,
      employeeName: readText(entry.employee_name),
      workDate,
      timezone: context.timezone,
      groupId: readText(entry.group_id),
      shiftId: readText(entry.shift_id),
      segments: toSegments(usable, context.timezone),
    }
    if (context.includeRaw) day.raw = [entry]
    days.push(day)
  }
  return { days: days.sort(compareDays), skippedRows }
}

/** The yyyyMMdd work day as 'YYYY-MM-DD', or null when it is not a real date. */
function readDay(value: unknown): string | null {
  const compact = readInteger(value)
  if (compact === null || compact < 10000101 || compact > 99991231) return null
  const workDate = fromCompactDate(compact)
  return parseWorkDate(workDate) === null ? null : workDate
}

function toSegment(record: FeishuTaskRecord, timeZone: string): Segment {
  return {
    overtime: readInteger(record.task_shift_type) === 1,
    checkIn: toCheck(
      {
        result: record.check_in_result,
        supplement: record.check_in_result_supplement,
        shiftTime: record.check_in_shift_time,
        recordId: record.check_in_record_id,
        flow: record.check_in_record,
      },
      timeZone,
    ),
    checkOut: toCheck(
      {
        result: record.check_out_result,
        supplement: record.check_out_result_supplement,
        shiftTime: record.check_out_shift_time,
        recordId: record.check_out_record_id,
        flow: record.check_out_record,
      },
      timeZone,
    ),
  }
}

/** Null only when the vendor said nothing at all about this side. */
function toCheck(side: Side, timeZone: string): Check | null {
  if ([side.result, side.supplement, side.shiftTime, side.recordId, side.flow].every((v) => v == null)) {
    return null
  }
  const vendorResult = readText(side.result) ?? ''
  const flow = isObject(side.flow) ? side.flow : null
  const vendorMethod = readText(flow?.type)
  const type = readInteger(vendorMethod)
  return {
    result: RESULTS.get(vendorResult) ?? 'unknown',
    vendorResult,
    scheduledAt: readTime(seconds(side.shiftTime), timeZone),
    checkedAt:
      flow === null || NOT_CHECKED.has(vendorResult) ? null : readTime(seconds(flow.check_time), timeZone),
    recordId: readText(side.recordId),
    approvalId: null,
    resultSupplement: readText(side.supplement),
    locationName: readText(flow?.location_name),
    // Feishu flags field checks only; "not a field check" does not mean "checked in range".
    locationResult: String(flow?.is_field) === 'true' ? 'outside' : null,
    vendorLocationResult: null,
    method: vendorMethod === null ? null : ((type === null ? undefined : METHODS.get(type)) ?? 'unknown'),
    vendorMethod,
  }
}

function seconds(value: unknown): number | null {
  const unixSeconds = readInteger(value)
  return unixSeconds === null ? null : unixSeconds * 1000
}

/**
 * In scheduled order: by check-in time (a segment without one by its check-out time, else last), normal
 * before overtime at the same time, then the vendor's order.
 */
function toSegments(records: readonly FeishuTaskRecord[], timeZone: string): Segment[] {
  const keyed = records.map((record) => {
    const segment = toSegment(record, timeZone)
    const at = seconds(record.check_in_shift_time) ?? seconds(record.check_out_shift_time)
    return { segment, at: at ?? Number.POSITIVE_INFINITY, overtime: segment.overtime ? 1 : 0 }
  })
  keyed.sort((a, b) => (a.at !== b.at ? (a.at < b.at ? -1 : 1) : a.overtime - b.overtime))
  return keyed.map(({ segment }) => segment)
}
