// Feishu's wire format for auth/v3/tenant_access_token/internal and attendance/v1/user_tasks/query, as
// documented (vendor-docs/feishu-attendance-user-task-query.md). Everything the vendor may leave out is
// optional, and fields documented as strings or ints may arrive as the other: the normalizer reads
// both. Undocumented extra fields are allowed and ignored.

export interface FeishuEnvelope<T> {
  /** 0 on success; errors often come with HTTP 200, so this, not the status, decides. */
  code: number
  msg: string
  data?: T
}

export interface FeishuTokenResponse {
  code: number
  msg: string
  /** 't-…' */
  tenant_access_token?: string
  /** Seconds left, at most 7200. */
  expire?: number
}

export interface FeishuUserTaskQueryData {
  user_task_results?: FeishuUserTaskResult[]
  invalid_user_ids?: string[]
  unauthorized_user_ids?: string[]
}

/** One user on one work day. */
export interface FeishuUserTaskResult {
  result_id?: string
  user_id?: string
  employee_name?: string
  /** Work day as the yyyyMMdd int 20190819, in the attendance group's time zone. */
  day?: number | string
  /** "1" means not in an attendance group. */
  group_id?: string
  /** "9" is the default shift. */
  shift_id?: string
  records?: FeishuTaskRecord[]
}

/** One shift segment of the day (the page's `task_result`). */
export interface FeishuTaskRecord {
  check_in_record_id?: string
  check_in_record?: FeishuUserFlow
  check_out_record_id?: string
  check_out_record?: FeishuUserFlow
  /** NoNeedCheck, SystemCheck, Normal, Early, Late, SeriousLate, Lack, Todo (others may appear). */
  check_in_result?: string
  check_out_result?: string
  /** None, ManagerModification, CardReplacement, ShiftChange, Travel, Leave, GoOut, … */
  check_in_result_supplement?: string
  check_out_result_supplement?: string
  /** Scheduled shift start, Unix seconds as a string. */
  check_in_shift_time?: string | number
  /** Scheduled shift end, Unix seconds as a string. */
  check_out_shift_time?: string | number
  /** 0 normal, 1 overtime (only with need_overtime_result). */
  task_shift_type?: number | string
}

/** A check record (the page's `user_flow`). */
export interface FeishuUserFlow {
  user_id?: string
  creator_id?: string
  location_name?: string
  /** The actual check, Unix seconds as a string. */
  check_time?: string | number
  comment?: string
  record_id?: string
  ssid?: string
  bssid?: string
  /** A field check (外勤打卡). */
  is_field?: boolean
  is_wifi?: boolean
  /** 0 user, 1 admin edit, 2 correction, 3 system, 4 auto check-out, 5 machine, 6 quick check, 7 import. */
  type?: number | string
  photo_urls?: string[]
  device_id?: string
  /** Only ever `PendingApproval` today; the day's results are `check_in_result` / `check_out_result`. */
  check_result?: string
  external_id?: string
  idempotent_id?: string
}
