// A Feishu day override: replaces fields of the records (shift segments) of one user's generated task,
// e.g. {"records": [{"check_in_result": "Late", "check_in_time": "1715045400"}]}. `records[i]` changes the
// i-th segment as served with need_overtime_result (0 the shift, 1 its overtime segment when the day has
// one); a segment left out, or given as {}, keeps its values. Fields per segment: check_in_result,
// check_out_result, check_in_result_supplement, check_out_result_supplement, and check_in_time /
// check_out_time (Unix seconds, a string of digits or an integer): the check_time of the check's record.
//
// The segments stay shaped as the vendor's (data.ts): a check made Lack, Todo or NoNeedCheck loses its
// record (record id ""), and giving it a time is refused; a check without a record made Normal, Early,
// Late, SeriousLate or SystemCheck gets one, at the scheduled time unless a time is given. A record shared
// by two segments (the 18:00 punch that ends the shift and starts adjacent overtime) gets a changed time in
// both. A supplement not given is kept, or becomes None when the check gains or loses its record.
import { SimulatorDayError } from '../shared/day-overrides.js'
import { isPlainObject } from '../shared/vendor-reply.js'
import { OFFICES } from './distributions.js'
import {
  FEISHU_CHECK_RESULTS,
  FEISHU_SUPPLEMENTS,
  type FeishuCheckResult,
  type FeishuSupplement,
  type FeishuTaskRecord,
  type FeishuUserFlow,
  type FeishuUserTask,
} from './types.js'

/** What may change in one segment; see the top of this file. */
export interface FeishuRecordOverride {
  check_in_result?: FeishuCheckResult
  check_out_result?: FeishuCheckResult
  check_in_result_supplement?: FeishuSupplement
  check_out_result_supplement?: FeishuSupplement
  /** Unix seconds. */
  check_in_time?: string | number
  check_out_time?: string | number
}

export interface FeishuDayOverride {
  records: FeishuRecordOverride[]
}

const NO_RECORD: ReadonlySet<FeishuCheckResult> = new Set(['Lack', 'Todo', 'NoNeedCheck'])
const SIDES = ['in', 'out'] as const
type Side = (typeof SIDES)[number]

const oneOf = (allowed: ReadonlyArray<string>) => (value: unknown) =>
  typeof value === 'string' && allowed.includes(value) ? null : `must be one of ${allowed.join(', ')}`
const unixSeconds = (value: unknown) =>
  (typeof value === 'string' && /^\d{1,12}$/.test(value)) ||
  (Number.isSafeInteger(value) && (value as number) >= 0)
    ? null
    : 'must be Unix seconds (a string of digits or an integer ≥ 0)'
const FIELD_CHECKS: Record<string, (value: unknown) => string | null> = {
  check_in_result: oneOf(FEISHU_CHECK_RESULTS),
  check_out_result: oneOf(FEISHU_CHECK_RESULTS),
  check_in_result_supplement: oneOf(FEISHU_SUPPLEMENTS),
  check_out_result_supplement: oneOf(FEISHU_SUPPLEMENTS),
  check_in_time: unixSeconds,
  check_out_time: unixSeconds,
}

interface Check {
  result: FeishuCheckResult
  supplement: FeishuSupplement
  record: FeishuUserFlow | undefined
}

/**
 * The id slot (the last two digits, as in data.ts) of a record made for a check that had none. data.ts
 * uses 01 and 02 for the shift, 03 for the end of adjacent overtime, 04 and 05 for separate overtime; an
 * overtime check without a record takes 04 or 05, which no record of an adjacent-overtime day uses.
 */
const MADE_RECORD_SLOTS = [
  { in: '01', out: '02' },
  { in: '04', out: '05' },
] as const

const checkOf = (record: FeishuTaskRecord, side: Side): Check => ({
  result: record[`check_${side}_result`],
  supplement: record[`check_${side}_result_supplement`],
  record: record[`check_${side}_record`],
})

/**
 * The task with the override applied. `task` is the generated task with its overtime segments;
 * `deviceId` is the user's phone, for a record made anew. Throws a SimulatorDayError naming every problem.
 */
export function overrideFeishuTask(
  task: FeishuUserTask,
  override: unknown,
  deviceId: string,
): FeishuUserTask {
  if (!isPlainObject(override) || !Array.isArray(override.records))
    throw new SimulatorDayError('the override must be a JSON object {"records": [{…}, …]}')
  const problems: string[] = []
  for (const key of Object.keys(override))
    if (key !== 'records') problems.push(`${key} is not a field of a Feishu day override (allowed: records)`)
  const changes = override.records
  if (changes.length > task.records.length)
    problems.push(
      `records has ${changes.length} entries but ${task.user_id} has ${task.records.length} segment(s) on ${task.day}`,
    )
  /** Times set by the override, by record id, so that a shared record changes everywhere. */
  const times = new Map<string, string>()
  const records = task.records.map((record, index) => {
    const change = changes[index]
    if (change === undefined) return record
    const path = `records[${index}]`
    if (!isPlainObject(change)) {
      problems.push(`${path} must be an object of fields (${Object.keys(FIELD_CHECKS).join(', ')})`)
      return record
    }
    for (const [field, value] of Object.entries(change)) {
      const check = Object.hasOwn(FIELD_CHECKS, field) ? FIELD_CHECKS[field] : undefined
      const problem = check
        ? check(value)
        : `is not a field here (allowed: ${Object.keys(FIELD_CHECKS).join(', ')})`
      if (problem) problems.push(`${path}.${field} ${problem}`)
    }
    const [checkIn, checkOut] = SIDES.map((side) =>
      changedCheck(task, record, side, change, {
        path,
        recordId: `${task.result_id.slice(0, -2)}${MADE_RECORD_SLOTS[index === 0 ? 0 : 1][side]}`,
        deviceId,
        times,
        problems,
      }),
    ) as [Check, Check]
    return segment(record, checkIn, checkOut)
  })
  const withTime = (flow: FeishuUserFlow | undefined): FeishuUserFlow | undefined => {
    const time = flow ? times.get(flow.record_id) : undefined
    return flow && time !== undefined ? { ...flow, check_time: time } : flow
  }
  const shared = records.map((record) =>
    segment(
      record,
      { ...checkOf(record, 'in'), record: withTime(record.check_in_record) },
      { ...checkOf(record, 'out'), record: withTime(record.check_out_record) },
    ),
  )
  if (problems.length > 0) throw new SimulatorDayError(problems.join('; '))
  return { ...task, records: shared }
}

interface SideContext {
  path: string
  /** The id a record made anew for this check gets. */
  recordId: string
  deviceId: string
  times: Map<string, string>
  problems: string[]
}

function changedCheck(
  task: FeishuUserTask,
  record: FeishuTaskRecord,
  side: Side,
  change: Record<string, unknown>,
  context: SideContext,
): Check {
  const before = checkOf(record, side)
  const result = (change[`check_${side}_result`] as FeishuCheckResult | undefined) ?? before.result
  const given = change[`check_${side}_time`]
  const time = given === undefined ? undefined : String(given)
  const keepsKind = NO_RECORD.has(result) === (before.record === undefined)
  const supplement =
    (change[`check_${side}_result_supplement`] as FeishuSupplement | undefined) ??
    (keepsKind ? before.supplement : 'None')
  if (NO_RECORD.has(result)) {
    if (time !== undefined)
      context.problems.push(`${context.path}.check_${side}_time: a ${result} check has no record, so no time`)
    return { result, supplement, record: undefined }
  }
  const flow: FeishuUserFlow = before.record
    ? { ...before.record }
    : madeRecord(
        task.user_id,
        side,
        result,
        context.recordId,
        record[`check_${side}_shift_time`],
        context.deviceId,
      )
  if (time !== undefined) {
    const earlier = context.times.get(flow.record_id)
    if (earlier !== undefined && earlier !== time)
      context.problems.push(`${context.path}.check_${side}_time: record ${flow.record_id} is given two times`)
    context.times.set(flow.record_id, time)
    flow.check_time = time
  }
  return { result, supplement, record: flow }
}

/** A record for a check that had none, shaped as data.ts makes an app punch (or a system check). */
function madeRecord(
  userId: string,
  side: Side,
  result: FeishuCheckResult,
  recordId: string,
  shiftTime: string,
  deviceId: string,
): FeishuUserFlow {
  const type = result === 'SystemCheck' ? 3 : 0
  return {
    user_id: userId,
    creator_id: userId,
    location_name: OFFICES[0],
    check_time: shiftTime,
    ...(type === 0 && side === 'in' && { comment: '上班打卡' }),
    record_id: recordId,
    is_field: false,
    is_wifi: false,
    type,
    ...(type === 0 && { device_id: deviceId }),
  }
}

/** The segment in the key order data.ts gives it. */
function segment(record: FeishuTaskRecord, checkIn: Check, checkOut: Check): FeishuTaskRecord {
  return {
    check_in_record_id: checkIn.record?.record_id ?? '',
    ...(checkIn.record && { check_in_record: checkIn.record }),
    check_out_record_id: checkOut.record?.record_id ?? '',
    ...(checkOut.record && { check_out_record: checkOut.record }),
    check_in_result: checkIn.result,
    check_out_result: checkOut.result,
    check_in_result_supplement: checkIn.supplement,
    check_out_result_supplement: checkOut.supplement,
    check_in_shift_time: record.check_in_shift_time,
    check_out_shift_time: record.check_out_shift_time,
    task_shift_type: record.task_shift_type,
  }
}
