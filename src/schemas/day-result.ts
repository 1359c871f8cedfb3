// The normalized answer: one DayResult per user per work day, whichever vendor produced it.
// Every field carries a description because the OpenAPI document (and so Swagger UI) is generated from here.
import { type Static, Type } from 'typebox'

export const CHECK_RESULTS = [
  'normal',
  'early',
  'late',
  'serious_late',
  'absenteeism_late',
  'missing',
  'pending',
  'not_required',
  'system',
  'unknown',
] as const

export const CheckResult = Type.Enum(CHECK_RESULTS, {
  description: [
    'Normalized check result. Mapping from the vendor values (kept verbatim in `vendorResult`):',
    '',
    '| result | Feishu `check_in_result` / `check_out_result` | DingTalk `timeResult` |',
    '|---|---|---|',
    '| `normal` | `Normal` | `Normal` |',
    '| `early` | `Early` | `Early` |',
    '| `late` | `Late` | `Late` |',
    '| `serious_late` | `SeriousLate` | `SeriousLate` |',
    '| `absenteeism_late` | – | `Absenteeism` |',
    '| `missing` | `Lack` | `NotSigned` on a check point that had come |',
    '| `pending` | `Todo` | `NotSigned` on a check point still to come when DingTalk answered (its `baseCheckTime` later, no `recordId`) |',
    '| `not_required` | `NoNeedCheck` | – |',
    '| `system` | `SystemCheck` | – |',
    '| `unknown` | any other value | any other value |',
  ].join('\n'),
})

export const CHECK_METHODS = [
  'user',
  'admin_edit',
  'correction',
  'system',
  'auto_check_out',
  'auto_check',
  'attendance_machine',
  'beacon',
  'quick_check',
  'import',
  'approval',
  'unknown',
] as const

export const CheckMethod = Type.Enum(CHECK_METHODS, {
  description: [
    'How the check was made. Mapping (the vendor value is kept in `vendorMethod`):',
    '',
    '| method | Feishu record `type` | DingTalk `sourceType` |',
    '|---|---|---|',
    '| `user` | `0` 用户打卡 | `USER` |',
    '| `admin_edit` | `1` 管理员修改 | `BOSS` |',
    '| `correction` | `2` 用户补卡 | – |',
    '| `system` | `3` 系统自动生成 | `SYSTEM` |',
    '| `auto_check_out` | `4` 下班免打卡 | – |',
    '| `auto_check` | – | `AUTO_CHECK` |',
    '| `attendance_machine` | `5` 考勤机 | `ATM`, `DING_ATM` |',
    '| `beacon` | – | `BEACON` |',
    '| `quick_check` | `6` 极速打卡 | – |',
    '| `import` | `7` 考勤开放平台导入 | – |',
    '| `approval` | – | `APPROVE` |',
    '| `unknown` | any other value | any other value |',
  ].join('\n'),
})

export const LOCATION_RESULTS = ['normal', 'outside', 'missing', 'unknown'] as const

export const LocationResult = Type.Enum(LOCATION_RESULTS, {
  description: [
    'Whether the check was made where it should be. Mapping:',
    '',
    '| locationResult | Feishu (from the check record) | DingTalk `locationResult` |',
    '|---|---|---|',
    '| `normal` | – | `Normal` (范围内) |',
    '| `outside` | `is_field: true` (外勤打卡) | `Outside` (范围外) |',
    '| `missing` | – | `NotSigned` |',
    '| `unknown` | – | any other value |',
    '',
    'Feishu reports field checks only; its other checks have `locationResult: null`.',
  ].join('\n'),
})

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description })

const Rfc3339 = (description: string) =>
  Nullable(Type.String({ format: 'date-time', examples: ['2021-01-04T09:00:00+08:00'] }), description)

export const Check = Type.Object(
  {
    result: CheckResult,
    vendorResult: Type.String({
      description:
        "The vendor's own result string, always kept (Feishu `check_in_result`, DingTalk `timeResult`).",
      examples: ['Normal', 'NotSigned'],
    }),
    scheduledAt: Rfc3339(
      'When the check was due: Feishu `check_in_shift_time` / `check_out_shift_time`, DingTalk `baseCheckTime`. RFC 3339 with the source time zone offset.',
    ),
    checkedAt: Rfc3339(
      'When the person actually checked: Feishu record `check_time`, DingTalk `userCheckTime`. Null when the person did not check (Feishu `Lack`/`Todo` or no record; DingTalk `NotSigned`, whatever its `userCheckTime` says).',
    ),
    recordId: Nullable(
      Type.String(),
      'The check record id: Feishu `check_in_record_id` / `check_out_record_id`, DingTalk `recordId`. Null when there is none.',
    ),
    approvalId: Nullable(
      Type.String(),
      'Approval tied to this check (leave, overtime, correction): DingTalk `procInstId`, else `approveId`. Always null for Feishu, which does not report it here.',
    ),
    resultSupplement: Nullable(
      Type.String(),
      'Feishu `check_in_result_supplement` / `check_out_result_supplement` verbatim (`None`, `ManagerModification`, `CardReplacement`, `ShiftChange`, `Travel`, `Leave`, `GoOut`, `CardReplacementApplication`, `FieldPunch`). Null for DingTalk.',
    ),
    locationName: Nullable(
      Type.String(),
      'Feishu record `location_name`. Null for DingTalk and when not given.',
    ),
    locationResult: Type.Union([LocationResult, Type.Null()], {
      description:
        'Normalized location result (see the mapping on `LocationResult`); null when the vendor says nothing.',
    }),
    vendorLocationResult: Nullable(Type.String(), 'DingTalk `locationResult` verbatim. Null for Feishu.'),
    method: Type.Union([CheckMethod, Type.Null()], {
      description:
        'How the check was made (see the mapping on `CheckMethod`); null when the vendor says nothing.',
    }),
    vendorMethod: Nullable(
      Type.String(),
      'The vendor value behind `method`: Feishu record `type` as a string, DingTalk `sourceType`.',
    ),
  },
  {
    title: 'Check',
    description: 'One scheduled check point (check-in or check-out) and what happened at it.',
  },
)
export type Check = Static<typeof Check>

export const Segment = Type.Object(
  {
    overtime: Type.Boolean({
      description: 'True for an overtime segment (Feishu `task_shift_type: 1`, only with `overtime=true`).',
    }),
    checkIn: Type.Union([Check, Type.Null()], {
      description:
        'The check-in (Feishu `check_in_*`, DingTalk `OnDuty` row); null when the vendor gave none.',
    }),
    checkOut: Type.Union([Check, Type.Null()], {
      description:
        'The check-out (Feishu `check_out_*`, DingTalk `OffDuty` row); null when the vendor gave none.',
    }),
  },
  {
    title: 'Segment',
    description:
      'One shift segment: a Feishu `records[]` entry, or a DingTalk `OnDuty` row paired with the next `OffDuty` row by `baseCheckTime`.',
  },
)
export type Segment = Static<typeof Segment>

export const VENDORS = ['feishu', 'dingtalk'] as const
export const Vendor = Type.Enum(VENDORS, { description: 'Which vendor a source is.' })
export type Vendor = Static<typeof Vendor>

export const DayResult = Type.Object(
  {
    source: Type.String({
      description: 'The source id the day came from (as in `users`).',
      examples: ['feishu'],
    }),
    vendor: Vendor,
    userId: Type.String({ description: "The user id as the request named it (the vendor's user id)." }),
    employeeName: Nullable(
      Type.String(),
      'Feishu `employee_name`; null for DingTalk, which does not report it.',
    ),
    person: Nullable(
      Type.String(),
      "The person (PEOPLE_FILE) this account belongs to, by the caller's own id; null when it is in none.",
    ),
    workDate: Type.String({
      format: 'date',
      description:
        "The work day, `YYYY-MM-DD`, in the source's time zone (Feishu `day`; DingTalk `workDate` read in the source's zone).",
    }),
    timezone: Type.String({ description: 'IANA time zone of the source, used for every time in this day.' }),
    groupId: Nullable(
      Type.String(),
      'Attendance group id: Feishu `group_id` (`"1"` means not in a group), DingTalk `groupId` as a string.',
    ),
    shiftId: Nullable(
      Type.String(),
      'Shift id: Feishu `shift_id` (`"9"` is the default shift); null for DingTalk, which reports no shift here.',
    ),
    segments: Type.Array(Segment, { description: 'The shift segments of the day, in scheduled order.' }),
    fetchedAt: Type.String({
      format: 'date-time',
      description:
        "When the vendor answered for this day (RFC 3339 in the source's zone, to the second): the time of this query's call, or of the earlier call whose answer the result cache kept.",
    }),
    raw: Type.Optional(
      Type.Array(Type.Unknown(), {
        description:
          "Only with `includeRaw=true`: the vendor's raw rows that produced this day (a Feishu `user_task_results` entry; the DingTalk `recordresult` rows).",
      }),
    ),
  },
  { title: 'DayResult', description: 'Attendance results of one user on one work day.' },
)
/** A day as answered: with `person` and `fetchedAt`, as the schema requires. */
export type AnsweredDay = Static<typeof DayResult>
/**
 * A day inside the service. A vendor's normalizer makes it without `person` and `fetchedAt`; they are set
 * on its way out (run-source.ts, query-service.ts), where it becomes an AnsweredDay.
 */
export type DayResult = Omit<AnsweredDay, 'person' | 'fetchedAt'> &
  Partial<Pick<AnsweredDay, 'person' | 'fetchedAt'>>
