// The DingTalk rows of one user on one day, built only from (seed, user, day): the same user and day give
// the same rows whatever window or page asked for them. The HTTP simulator serves exactly these objects.
//
// Weekdays have two check points, OnDuty 09:00 and OffDuty 18:00 local time in the corp's zone, and so two
// rows, even when the person did not check: such a row is NotSigned, has no recordId and no sourceType,
// and its userCheckTime equals its baseCheckTime (as in the page's example). Weekends have no rows. With
// `now`, the rows are served as they stand then (checks-so-far.ts): a check not made yet is NotSigned.
import { parseWorkDate, weekday } from '../../platform/time/work-date.js'
import { DEFAULT_SEED } from '../shared/options.js'
import {
  hexDigits,
  intBetween,
  key36,
  pickOne,
  pickWeighted,
  type Random,
  randomFor,
  type Seed,
} from '../shared/prng.js'
import { zonedEpochMs } from '../shared/zoned-clock.js'
import { dingTalkRowsSoFar } from './checks-so-far.js'
import type { DingTalkRow, DingTalkSourceType, DingTalkTimeResult } from './types.js'

export interface DingTalkDataOptions {
  seed?: Seed
  /** The corp's zone; default Asia/Shanghai. */
  timezone?: string
  /** Epoch ms: the rows as they stand then (checks-so-far.ts). Without it, the whole day, as once it is over. */
  now?: number
}

type CheckType = DingTalkRow['checkType']

const CHECK_POINTS: ReadonlyArray<{ checkType: CheckType; minute: number }> = [
  { checkType: 'OnDuty', minute: 9 * 60 },
  { checkType: 'OffDuty', minute: 18 * 60 },
]
const RESULTS: Record<CheckType, ReadonlyArray<readonly [DingTalkTimeResult, number]>> = {
  OnDuty: [
    ['Normal', 66],
    ['Late', 10],
    ['SeriousLate', 4],
    ['Absenteeism', 3],
    ['NotSigned', 9],
  ],
  OffDuty: [
    ['Normal', 72],
    ['Early', 12],
    ['NotSigned', 9],
  ],
}
/** Minutes between the scheduled time and the check, by result. */
const OFFSET_MINUTES: Record<CheckType, Partial<Record<DingTalkTimeResult, readonly [number, number]>>> = {
  OnDuty: { Normal: [-40, 0], Late: [1, 30], SeriousLate: [31, 90], Absenteeism: [91, 240] },
  OffDuty: { Normal: [0, 120], Early: [-120, -1] },
}
const SOURCES: ReadonlyArray<readonly [DingTalkSourceType, number]> = [
  ['USER', 50],
  ['ATM', 7],
  ['BEACON', 7],
  ['DING_ATM', 7],
  ['BOSS', 5],
  ['APPROVE', 7],
  ['SYSTEM', 5],
  ['AUTO_CHECK', 8],
]
// Checks the system makes (an approved correction, the attendance system, auto check) land on the base time.
const AT_BASE_TIME: ReadonlySet<DingTalkSourceType> = new Set(['APPROVE', 'SYSTEM', 'AUTO_CHECK'])
const GROUP_IDS = [20451893, 20451894, 20451895] as const

const corpIds = new Map<Seed, string>()

/** The corp every row belongs to; depends on the seed only. */
export function dingTalkCorpId(seed: Seed): string {
  let corpId = corpIds.get(seed)
  if (corpId === undefined) {
    corpId = `ding${hexDigits(randomFor(seed, 'dingtalk-corp'), 16)}`
    corpIds.set(seed, corpId)
  }
  return corpId
}

// ids: a 36-bit key of the user, then 15 bits of the day and one bit of the check point — unique per row.
function rowKey(seed: Seed, kind: string, userId: string, epochDay: number, index: number): number {
  return key36(seed, kind, userId) * 65_536 + (epochDay % 32_768) * 2 + index
}

/**
 * The recordId the check point `index` (0 OnDuty, 1 OffDuty) of a user's day has when it is signed; a day
 * override (day-override.ts) gives it to a NotSigned row it turns into a check.
 */
export function dingTalkRecordIdFor(seed: Seed, userId: string, epochDay: number, index: number): number {
  return rowKey(seed, 'dingtalk-record', userId, epochDay, index)
}

export function dingTalkRowsFor(
  userId: string,
  workDate: string,
  options: DingTalkDataOptions,
): DingTalkRow[] {
  const epochDay = parseWorkDate(workDate)
  if (epochDay === null) throw new RangeError(`not a YYYY-MM-DD work date: ${workDate}`)
  const day = weekday(epochDay)
  if (day === 0 || day === 6) return []
  const seed = options.seed ?? DEFAULT_SEED
  const timezone = options.timezone ?? 'Asia/Shanghai'
  const random = randomFor(seed, 'dingtalk', userId, workDate)
  const groupId = pickOne(randomFor(seed, 'dingtalk-group', userId), GROUP_IDS)
  const corpId = dingTalkCorpId(seed)
  const midnight = zonedEpochMs(timezone, epochDay, 0)
  const idOf = (kind: string, index: number) => rowKey(seed, kind, userId, epochDay, index)

  const rows = CHECK_POINTS.map(({ checkType, minute }, index): DingTalkRow => {
    const baseCheckTime = zonedEpochMs(timezone, epochDay, minute)
    const common = {
      baseCheckTime,
      checkType,
      corpId,
      groupId,
      id: idOf('dingtalk-id', index),
      planId: idOf('dingtalk-plan', index),
      userId,
      workDate: midnight,
    }
    let timeResult = pickWeighted(random, RESULTS[checkType])
    if (timeResult === 'NotSigned') {
      return {
        ...common,
        locationResult: 'NotSigned',
        timeResult,
        userCheckTime: baseCheckTime,
        ...approval(random, idOf('dingtalk-approve', index), [
          ['none', 60],
          ['procInstId', 30],
          ['both', 10],
        ]),
      }
    }
    const sourceType = pickWeighted(random, SOURCES)
    let userCheckTime = baseCheckTime
    if (AT_BASE_TIME.has(sourceType)) timeResult = 'Normal'
    else {
      const [low, high] = OFFSET_MINUTES[checkType][timeResult] ?? [0, 0]
      userCheckTime += intBetween(random, low * 60, high * 60) * 1000
    }
    return {
      ...common,
      locationResult: random() < 0.12 ? 'Outside' : 'Normal',
      recordId: idOf('dingtalk-record', index),
      sourceType,
      timeResult,
      userCheckTime,
      ...approval(
        random,
        idOf('dingtalk-approve', index),
        sourceType === 'APPROVE'
          ? [['both', 1]]
          : [
              ['none', 94],
              ['both', 2],
              ['procInstId', 2],
              ['approveId', 2],
            ],
      ),
    }
  })
  return options.now === undefined ? rows : dingTalkRowsSoFar(rows, options.now)
}

type ApprovalShape = 'none' | 'both' | 'procInstId' | 'approveId'

function approval(
  random: Random,
  approveId: number,
  shapes: ReadonlyArray<readonly [ApprovalShape, number]>,
): Pick<DingTalkRow, 'approveId' | 'procInstId'> {
  const shape = pickWeighted(random, shapes)
  if (shape === 'none') return {}
  const hex = hexDigits(random, 32)
  const procInstId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  if (shape === 'procInstId') return { procInstId }
  if (shape === 'approveId') return { approveId }
  return { approveId, procInstId }
}
