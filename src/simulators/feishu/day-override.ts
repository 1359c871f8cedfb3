// A Feishu day override: replaces fields of the records (shift segments) of one user's generated task,
// e.g. {"records": [{"check_in_result": "Late", "check_in_time": "1715045400"}]}. `records[i]` changes the
// i-th segment as served with need_overtime_result (0 the shift, 1 its overtime segment when the day has
// one); a segment left out, or given as {}, keeps its values. Fields per segment: check_in_result,
// check_out_result, check_in_result_supplement, check_out_result_supplement, and check_in_time /
// check_out_time (Unix seconds, a string of digits or an integer): the check_time of the check's record.
//
// The segments stay shaped as the vendor's (data.ts): a check made Lack or NoNeedCheck loses its record
// (record id ""), and giving it a time is refused; a check without a record made Normal, Early, Late or
// SystemCheck gets one, at the scheduled time unless a time is given. A record shared by two segments (the
// 18:00 punch that ends the shift and starts adjacent overtime) gets a changed time in both. A supplement
// not given is kept, or becomes None when the check gains or loses its record. An override describes the
// day as it ends: `Todo` (not checked yet) is refused, since the simulator serves it by itself for the
// checks whose moment has not come (checks-so-far.ts), overridden days included.
import { SimulatorDayError } from '../shared/day-overrides.js'
import { isPlainObject } from '../shared/vendor-reply.js'
import { OFFICES } from './distributions.js'
import { checkOf, FEISHU_SIDES, type FeishuCheck, type FeishuSide, segmentWith } from './segment-shape.js'
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

const NO_RECORD: ReadonlySet<FeishuCheckResult> = new Set(['Lack', 'NoNeedCheck'])
/** The results of a day that has ended. */
const SETTLED_RESULTS = FEISHU_CHECK_RESULTS.filter((result) => result !== 'Todo')

const oneOf = (allowed: ReadonlyArray<string>) => (value: unknown) =>
  typeof value === 'string' && allowed.includes(value) ? null : `must be one of ${allowed.join(', ')}`
const unixSeconds = (value: unknown) =>
  (typeof value === 'string' && /^\d{1,12}$/.test(value)) ||
  (Number.isSafeInteger(value) && (value as number) >= 0)
    ? null
    : 'must be Unix seconds (a string of digits or an integer ≥ 0)'
const FIELD_CHECKS: Record<string, (value: unknown) => string | null> = {
  check_in_result: oneOf(SETTLED_RESULTS),
  check_out_result: oneOf(SETTLED_RESULTS),
  check_in_result_supplement: oneOf(FEISHU_SUPPLEMENTS),
  check_out_result_supplement: oneOf(FEISHU_SUPPLEMENTS),
  check_in_time: unixSeconds,
  check_out_time: unixSeconds,
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
    const [checkIn, checkOut] = FEISHU_SIDES.map((side) =>
      changedCheck(task, record, side, change, {
        path,
        recordId: `${task.result_id.slice(0, -2)}${MADE_RECORD_SLOTS[index === 0 ? 0 : 1][side]}`,
        deviceId,
        times,
        problems,
      }),
    ) as [FeishuCheck, FeishuCheck]
    return segmentWith(record, checkIn, checkOut)
  })
  const withTime = (flow: FeishuUserFlow | undefined): FeishuUserFlow | undefined => {
    const time = flow ? times.get(flow.record_id) : undefined
    return flow && time !== undefined ? { ...flow, check_time: time } : flow
  }
  const shared = records.map((record) =>
    segmentWith(
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
  side: FeishuSide,
  change: Record<string, unknown>,
  context: SideContext,
): FeishuCheck {
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
  side: FeishuSide,
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
