// DingTalk's wire format for gettoken and attendance/list, as documented
// (vendor-docs/dingtalk-attendance-list.txt). Everything the vendor may leave out is optional, numbers may
// arrive as strings, and undocumented extra fields (e.g. `corpId`) are allowed and ignored.

export interface DingTalkTokenResponse {
  /** 0 on success; errors come with HTTP 200. */
  errcode: number
  errmsg: string
  access_token?: string
  /** Seconds, 7200. */
  expires_in?: number
}

export interface DingTalkListResponse {
  errcode: number
  errmsg: string
  hasMore?: boolean
  recordresult?: DingTalkRecord[]
  /** Seen on throttling as errcode 88 with sub_code "90018". */
  sub_code?: string
  sub_msg?: string
}

/** One scheduled check point of one user on one work day (a `recordresult` entry). */
export interface DingTalkRecord {
  /** Unique row id. */
  id?: number | string
  userId?: string
  /** Epoch ms of the work day's local midnight. */
  workDate?: number | string
  /** OnDuty (check-in) or OffDuty (check-out). */
  checkType?: string
  /** Normal, Early, Late, SeriousLate, Absenteeism, NotSigned. */
  timeResult?: string
  /** Normal (in range), Outside, NotSigned. */
  locationResult?: string
  /** Epoch ms the check was due. */
  baseCheckTime?: number | string
  /** Epoch ms of the check; equals baseCheckTime on NotSigned rows, which are no check at all. */
  userCheckTime?: number | string
  /** Absent when the person did not check. */
  recordId?: number | string
  groupId?: number | string
  planId?: number | string
  /** Set when the row is tied to a leave or overtime approval. */
  approveId?: number | string
  procInstId?: string
  /** ATM, BEACON, DING_ATM, USER, BOSS, APPROVE, SYSTEM, AUTO_CHECK. */
  sourceType?: string
  corpId?: string
}
