// Feishu's wire format for user_tasks/query, as documented on the page in vendor-docs. Optional fields are
// left out when empty, as the vendor's own answers do.
// The documented enum of check_in_result / check_out_result. SeriousLate (严重迟到) is not in it: the page
// lists it only for the record-level check_result, which "only returns PendingApproval", so the simulator
// never sends it (the service still maps it, should a tenant's answers carry it). Todo (未打卡) is sent only
// for checks whose moment has not come (checks-so-far.ts).
export const FEISHU_CHECK_RESULTS = [
  'NoNeedCheck',
  'SystemCheck',
  'Normal',
  'Early',
  'Late',
  'Lack',
  'Todo',
] as const
export type FeishuCheckResult = (typeof FEISHU_CHECK_RESULTS)[number]

export const FEISHU_SUPPLEMENTS = [
  'None',
  'ManagerModification',
  'CardReplacement',
  'ShiftChange',
  'Travel',
  'Leave',
  'GoOut',
  'CardReplacementApplication',
  'FieldPunch',
] as const
export type FeishuSupplement = (typeof FEISHU_SUPPLEMENTS)[number]

/** Record `type`: 0 user, 1 admin edit, 2 correction, 3 system, 4 auto check-out, 5 machine, 6 quick, 7 import. */
export const FEISHU_RECORD_TYPES = [0, 1, 2, 3, 4, 5, 6, 7] as const
export type FeishuRecordType = (typeof FEISHU_RECORD_TYPES)[number]

export const FEISHU_EMPLOYEE_TYPES = ['employee_id', 'employee_no'] as const

/** A check record (the page's `user_flow`). */
export interface FeishuUserFlow {
  user_id: string
  creator_id: string
  location_name: string
  /** Unix seconds, as a string. */
  check_time: string
  comment?: string
  record_id: string
  ssid?: string
  bssid?: string
  is_field: boolean
  is_wifi: boolean
  type: FeishuRecordType
  photo_urls?: string[]
  device_id?: string
  external_id?: string
  idempotent_id?: string
}

/** One shift segment of a day (the page's `task_result`). */
export interface FeishuTaskRecord {
  /** "" when there is no record (Lack, NoNeedCheck, Todo); the record object is then absent. */
  check_in_record_id: string
  check_in_record?: FeishuUserFlow
  check_out_record_id: string
  check_out_record?: FeishuUserFlow
  check_in_result: FeishuCheckResult
  check_out_result: FeishuCheckResult
  check_in_result_supplement: FeishuSupplement
  check_out_result_supplement: FeishuSupplement
  /** Scheduled boundaries, Unix seconds as strings. */
  check_in_shift_time: string
  check_out_shift_time: string
  /** 0 normal segment, 1 overtime segment (only with need_overtime_result). */
  task_shift_type: 0 | 1
}

/** One user's day (the page's `user_task`). */
export interface FeishuUserTask {
  result_id: string
  user_id: string
  employee_name: string
  /** yyyyMMdd */
  day: number
  group_id: string
  shift_id: string
  records: FeishuTaskRecord[]
}

export interface FeishuQueryData {
  user_task_results: FeishuUserTask[]
  invalid_user_ids: string[]
  unauthorized_user_ids: string[]
}
