// DingTalk's wire format for attendance/list, as documented on the page in vendor-docs.
export const DINGTALK_TIME_RESULTS = [
  'Normal',
  'Early',
  'Late',
  'SeriousLate',
  'Absenteeism',
  'NotSigned',
] as const
export type DingTalkTimeResult = (typeof DINGTALK_TIME_RESULTS)[number]

export const DINGTALK_LOCATION_RESULTS = ['Normal', 'Outside', 'NotSigned'] as const
export type DingTalkLocationResult = (typeof DINGTALK_LOCATION_RESULTS)[number]

export const DINGTALK_SOURCE_TYPES = [
  'ATM',
  'BEACON',
  'DING_ATM',
  'USER',
  'BOSS',
  'APPROVE',
  'SYSTEM',
  'AUTO_CHECK',
] as const
export type DingTalkSourceType = (typeof DINGTALK_SOURCE_TYPES)[number]

/** One scheduled check point of one user on one day (a `recordresult` entry). */
export interface DingTalkRow {
  /** Epoch ms of the scheduled time. */
  baseCheckTime: number
  checkType: 'OnDuty' | 'OffDuty'
  corpId: string
  groupId: number
  /** Unique per row, stable. */
  id: number
  locationResult: DingTalkLocationResult
  planId: number
  /** Absent on NotSigned rows. */
  recordId?: number
  /** Absent on NotSigned rows. */
  sourceType?: DingTalkSourceType
  timeResult: DingTalkTimeResult
  /** Epoch ms of the check; equal to baseCheckTime on NotSigned rows. */
  userCheckTime: number
  userId: string
  /** Epoch ms of the work day's local midnight. */
  workDate: number
  /** Set when the row is tied to a leave, overtime or correction approval. */
  approveId?: number
  procInstId?: string
}

export interface DingTalkListAnswer {
  errcode: 0
  errmsg: 'ok'
  hasMore: boolean
  recordresult: DingTalkRow[]
}
