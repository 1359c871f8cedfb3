// How often each outcome occurs in the simulated Feishu data, and when. Weights are chosen so that over a
// few dozen users and weeks every documented result, supplement and record type occurs, while most checks
// stay Normal as in a real company.
import type { FeishuCheckResult, FeishuRecordType, FeishuSupplement } from './types.js'

/**
 * How a check of the shift turned out, as drawn: a result Feishu sends on a day that has ended, or one of
 * two outcomes sent as another result. `LateOver30`: a check-in 31–120 minutes late, sent as `Late`, since
 * the documented check_in_result enum has no SeriousLate. `Unexplained`: nobody checked and nothing says
 * why, sent as `Lack` with the supplement None. Both keep a weight of their own so that the draws of every
 * other check stay as they were (the same seed gives the same data for them).
 */
export type DrawnOutcome = Exclude<FeishuCheckResult, 'Todo'> | 'LateOver30' | 'Unexplained'

/** Minutes of the local day. */
export const SHIFT_START = 9 * 60
export const SHIFT_END = 18 * 60
export const ADJACENT_OVERTIME_END = 19 * 60
export const SEPARATE_OVERTIME_START = 19 * 60 + 30
export const SEPARATE_OVERTIME_END = 21 * 60 + 30
/** Seconds in a minute: punch offsets are in seconds. */
export const MIN = 60

export const IN_OUTCOMES: ReadonlyArray<readonly [DrawnOutcome, number]> = [
  ['Normal', 56],
  ['Late', 9],
  ['LateOver30', 3],
  ['Early', 3],
  ['Lack', 7],
  ['Unexplained', 3],
  ['NoNeedCheck', 5],
  ['SystemCheck', 4],
]
export const OUT_OUTCOMES: ReadonlyArray<readonly [DrawnOutcome, number]> = [
  ['Normal', 58],
  ['Early', 9],
  ['Late', 3],
  ['Lack', 7],
  ['Unexplained', 3],
  ['NoNeedCheck', 5],
  ['SystemCheck', 4],
]
/** Seconds between the scheduled time and the punch, by side and outcome. */
export const PUNCH_OFFSET: Record<'in' | 'out', Partial<Record<DrawnOutcome, readonly [number, number]>>> = {
  in: {
    Normal: [-40 * MIN, 0],
    Late: [MIN, 30 * MIN],
    LateOver30: [31 * MIN, 120 * MIN],
    Early: [-120 * MIN, -60 * MIN],
  },
  out: { Normal: [0, 90 * MIN], Early: [-120 * MIN, -MIN], Late: [MIN, 30 * MIN] },
}
export const PUNCH_TYPES: Record<'in' | 'out', ReadonlyArray<readonly [FeishuRecordType, number]>> = {
  in: [
    [0, 50],
    [1, 6],
    [2, 6],
    [5, 10],
    [6, 10],
    [7, 6],
  ],
  // 4 (下班免打卡) exists only for check-outs.
  out: [
    [0, 46],
    [1, 6],
    [2, 6],
    [4, 6],
    [5, 10],
    [6, 10],
    [7, 6],
  ],
}
export const NO_RECORD_SUPPLEMENTS: Partial<
  Record<FeishuCheckResult, ReadonlyArray<readonly [FeishuSupplement, number]>>
> = {
  Lack: [
    ['None', 70],
    ['CardReplacementApplication', 15],
    ['Leave', 5],
    ['Travel', 5],
    ['GoOut', 5],
  ],
  NoNeedCheck: [
    ['None', 40],
    ['Leave', 25],
    ['Travel', 20],
    ['ShiftChange', 15],
  ],
}
export const PUNCH_SUPPLEMENTS: ReadonlyArray<readonly [FeishuSupplement, number]> = [
  ['None', 80],
  ['ShiftChange', 5],
  ['Travel', 5],
  ['Leave', 5],
  ['GoOut', 5],
]
export const OFFICES = ['西溪八方城', '望京 SOHO T3', '深圳湾科技生态园'] as const
export const FIELD_SITES = ['客户现场·上海虹桥', '客户现场·杭州滨江', '展会·国家会展中心'] as const
export const MACHINES = ['前台考勤机'] as const
