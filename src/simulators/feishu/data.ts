// The Feishu answer for one user on one day, built only from (seed, user, day): the same user and day give
// the same task whatever window asked for it. The HTTP simulator serves exactly these objects.
//
// Weekdays have one shift, 09:00–18:00 local time in the group's zone; some days add an overtime segment,
// either 18:00–19:00 right after the shift (sharing the 18:00 punch, as the page describes) or a separate
// 19:30–21:30 one. Weekends have no task. How often each outcome occurs is in distributions.ts. With `now`,
// the day is served as it stands then (checks-so-far.ts): a check whose moment has not come is Todo.
import { fromCompactDate, parseWorkDate, weekday } from '../../platform/time/work-date.js'
import { DEFAULT_SEED } from '../shared/options.js'
import {
  intBetween,
  key36,
  pickOne,
  pickWeighted,
  type Random,
  randomFor,
  type Seed,
} from '../shared/prng.js'
import { zonedEpochMs } from '../shared/zoned-clock.js'
import { feishuTaskSoFar } from './checks-so-far.js'
import { DEPARTED_TIMEZONE, NO_GROUP_ID } from './departures.js'
import {
  ADJACENT_OVERTIME_END,
  type DrawnOutcome,
  FIELD_SITES,
  IN_OUTCOMES,
  MACHINES,
  MIN,
  NO_RECORD_SUPPLEMENTS,
  OFFICES,
  OUT_OUTCOMES,
  PUNCH_OFFSET,
  PUNCH_SUPPLEMENTS,
  PUNCH_TYPES,
  SEPARATE_OVERTIME_END,
  SEPARATE_OVERTIME_START,
  SHIFT_END,
  SHIFT_START,
} from './distributions.js'
import { type FeishuPerson, feishuPersonFor } from './people.js'
import type {
  FeishuCheckResult,
  FeishuRecordType,
  FeishuSupplement,
  FeishuTaskRecord,
  FeishuUserFlow,
  FeishuUserTask,
} from './types.js'

export interface FeishuDataOptions {
  seed?: Seed
  /** The attendance group's zone; default Asia/Shanghai. */
  timezone?: string
  /** need_overtime_result: include the overtime segments (task_shift_type 1). */
  overtime: boolean
  /** Epoch ms: the day as it stands then (checks-so-far.ts). Without it, the whole day, as once it is over. */
  now?: number
  /**
   * The task of the employee who held the id before it was reused (departures.ts): another person, in no
   * attendance group, reckoned at UTC+0 whatever `timezone` says.
   */
  departed?: boolean
}

interface Check {
  result: FeishuCheckResult
  supplement: FeishuSupplement
  recordId: string
  record?: FeishuUserFlow
}

interface DayContext {
  random: Random
  userId: string
  person: FeishuPerson
  /** Epoch seconds of a local minute of this day. */
  at: (minuteOfDay: number) => number
  /** The 19-digit id of a slot of this day (0 result, 1–5 records). */
  id: (slot: number) => string
}

export function feishuTaskFor(
  userId: string,
  compactDay: number,
  options: FeishuDataOptions,
): FeishuUserTask | null {
  const epochDay = Number.isInteger(compactDay) ? parseWorkDate(fromCompactDate(compactDay)) : null
  if (epochDay === null) throw new RangeError(`not a yyyyMMdd work day: ${compactDay}`)
  const day = weekday(epochDay)
  if (day === 0 || day === 6) return null
  const seed = options.seed ?? DEFAULT_SEED
  const timezone = options.departed ? DEPARTED_TIMEZONE : (options.timezone ?? 'Asia/Shanghai')
  const person = feishuPersonFor(seed, options.departed ? `${userId}\u001fdeparted` : userId)
  const userKey = String(key36(seed, 'feishu-id', userId)).padStart(11, '0')
  const dayKey = String(epochDay % 100_000).padStart(5, '0')
  const context: DayContext = {
    random: randomFor(seed, 'feishu', userId, compactDay),
    userId,
    person,
    at: (minute) => zonedEpochMs(timezone, epochDay, minute) / 1000,
    id: (slot) => `7${userKey}${dayKey}${String(slot).padStart(2, '0')}`,
  }
  // Every draw happens whether or not overtime was asked for, so the normal segment never depends on it.
  const overtime = pickWeighted(context.random, [
    ['none', 78],
    ['adjacent', 15],
    ['separate', 7],
  ] as const)
  const checkIn = drawCheck(context, 'in', SHIFT_START, 1, IN_OUTCOMES)
  const checkOut =
    overtime === 'adjacent'
      ? punch(
          context,
          'out',
          'Normal',
          0,
          'None',
          context.at(SHIFT_END) + intBetween(context.random, 0, 5 * MIN),
          2,
        )
      : drawCheck(context, 'out', SHIFT_END, 2, OUT_OUTCOMES)
  const records = [segment(context, checkIn, checkOut, SHIFT_START, SHIFT_END, 0)]
  if (overtime === 'adjacent') {
    const end = drawSimple(context, 'out', ADJACENT_OVERTIME_END, 3, [
      ['Normal', 80],
      ['Early', 10],
      ['Lack', 10],
    ])
    if (options.overtime) records.push(segment(context, checkOut, end, SHIFT_END, ADJACENT_OVERTIME_END, 1))
  } else if (overtime === 'separate') {
    const start = drawSimple(context, 'in', SEPARATE_OVERTIME_START, 4, [
      ['Normal', 85],
      ['Late', 10],
      ['Lack', 5],
    ])
    const end = drawSimple(context, 'out', SEPARATE_OVERTIME_END, 5, [
      ['Normal', 85],
      ['Early', 10],
      ['Lack', 5],
    ])
    if (options.overtime)
      records.push(segment(context, start, end, SEPARATE_OVERTIME_START, SEPARATE_OVERTIME_END, 1))
  }
  const task: FeishuUserTask = {
    result_id: context.id(0),
    user_id: userId,
    employee_name: context.person.employeeName,
    day: compactDay,
    group_id: options.departed ? NO_GROUP_ID : person.groupId,
    shift_id: context.person.shiftId,
    records,
  }
  return options.now === undefined ? task : feishuTaskSoFar(task, options.now)
}

function segment(
  context: DayContext,
  checkIn: Check,
  checkOut: Check,
  startMinute: number,
  endMinute: number,
  taskShiftType: 0 | 1,
): FeishuTaskRecord {
  return {
    check_in_record_id: checkIn.recordId,
    ...(checkIn.record && { check_in_record: checkIn.record }),
    check_out_record_id: checkOut.recordId,
    ...(checkOut.record && { check_out_record: checkOut.record }),
    check_in_result: checkIn.result,
    check_out_result: checkOut.result,
    check_in_result_supplement: checkIn.supplement,
    check_out_result_supplement: checkOut.supplement,
    check_in_shift_time: String(context.at(startMinute)),
    check_out_shift_time: String(context.at(endMinute)),
    task_shift_type: taskShiftType,
  }
}

/** A check of the normal shift: any result of a day that has ended, any record type, any supplement. */
function drawCheck(
  context: DayContext,
  side: 'in' | 'out',
  minute: number,
  slot: number,
  outcomes: ReadonlyArray<readonly [DrawnOutcome, number]>,
): Check {
  const { random } = context
  const outcome = pickWeighted(random, outcomes)
  if (outcome === 'Unexplained') return { result: 'Lack', supplement: 'None', recordId: '' }
  const result: FeishuCheckResult = outcome === 'LateOver30' ? 'Late' : outcome
  const noRecord = NO_RECORD_SUPPLEMENTS[result]
  if (noRecord) return { result, supplement: pickWeighted(random, noRecord), recordId: '' }
  const scheduled = context.at(minute)
  if (result === 'SystemCheck') return punch(context, side, result, 3, 'None', scheduled, slot)
  let type = pickWeighted(random, PUNCH_TYPES[side])
  if (type === 4 && result !== 'Normal') type = 0
  const [low, high] = PUNCH_OFFSET[side][outcome] ?? [0, 0]
  const time = type === 4 ? scheduled : scheduled + intBetween(random, low, high)
  const field = (type === 0 || type === 6) && random() < 0.12
  const supplement: FeishuSupplement =
    type === 1
      ? 'ManagerModification'
      : type === 2
        ? 'CardReplacement'
        : field
          ? 'FieldPunch'
          : pickWeighted(random, PUNCH_SUPPLEMENTS)
  return punch(context, side, result, type, supplement, time, slot, field)
}

/** A check of an overtime segment: a plain app punch, or none. */
function drawSimple(
  context: DayContext,
  side: 'in' | 'out',
  minute: number,
  slot: number,
  results: ReadonlyArray<readonly ['Normal' | 'Early' | 'Late' | 'Lack', number]>,
): Check {
  const { random } = context
  const result = pickWeighted(random, results)
  if (result === 'Lack') return { result, supplement: 'None', recordId: '' }
  const [low, high] = PUNCH_OFFSET[side][result] ?? [0, 0]
  return punch(context, side, result, 0, 'None', context.at(minute) + intBetween(random, low, high), slot)
}

function punch(
  context: DayContext,
  side: 'in' | 'out',
  result: FeishuCheckResult,
  type: FeishuRecordType,
  supplement: FeishuSupplement,
  checkTime: number,
  slot: number,
  field = false,
): Check {
  const { random, userId, person } = context
  const recordId = context.id(slot)
  const wifi = !field && (type === 0 || type === 6) && random() < 0.35
  const record: FeishuUserFlow = {
    user_id: userId,
    creator_id: type === 1 ? person.adminId : userId,
    location_name: field ? pickOne(random, FIELD_SITES) : type === 5 ? pickOne(random, MACHINES) : OFFICES[0],
    check_time: String(checkTime),
    ...(type === 2 && { comment: '忘记打卡' }),
    ...(type === 1 && { comment: '管理员修改' }),
    ...(type === 0 && side === 'in' && !field && { comment: '上班打卡' }),
    record_id: recordId,
    ...(wifi && { ssid: 'Office-5G', bssid: 'b0:b8:67:5c:1d:72' }),
    is_field: field,
    is_wifi: wifi,
    type,
    ...(field && { photo_urls: [`https://attendance-simulator.invalid/photos/${recordId}.jpg`] }),
    ...((type === 0 || type === 6) && { device_id: person.deviceId }),
    ...(type === 7 && { external_id: `ext_${recordId}`, idempotent_id: `idem_${recordId}` }),
  }
  return { result, supplement, recordId, record }
}
