// The Feishu events of a changed day, as schema 2.0 envelopes (vendor-docs/EVENTS.md): one
// `attendance.user_task.updated_v1` per change, with a status change per check whose result or supplement
// changed, and, when asked, one `attendance.user_flow.created_v1` per check record the change made. Every
// mode (webhook, long connection) sends these same envelopes.
//
// The simulator serves any id under either employee_type (its users have no separate employee numbers),
// so `employee_id` and `employee_no` are both the user id the day was changed for.
import { randomBytes } from 'node:crypto'
import type { DayChange } from '../shared/day-events.js'
import { hexDigits, randomFor, type Seed } from '../shared/prng.js'
import type { FeishuCheckResult, FeishuUserFlow, FeishuUserTask } from './types.js'

export const FEISHU_TASK_UPDATED = 'attendance.user_task.updated_v1'
export const FEISHU_FLOW_CREATED = 'attendance.user_flow.created_v1'

export interface FeishuEnvelope {
  schema: '2.0'
  header: {
    event_id: string
    event_type: string
    /** ms, as a string */
    create_time: string
    token: string
    app_id: string
    tenant_key: string
  }
  event: Record<string, unknown>
}

export interface FeishuEventSource {
  appId: string
  tenantKey: string
  verificationToken: string
  /** The attendance group's zone (`time_zone`). */
  timezone: string
}

export interface FeishuStatusChange {
  index: number
  work_type: 'on' | 'off'
  before_status: string
  current_status: string
  before_supplement: string
  current_supplement: string
}

/** The tenant the simulated app is installed in: fixed per seed. */
export function feishuTenantKey(seed: Seed): string {
  return hexDigits(randomFor(seed, 'feishu-tenant'), 16)
}

/** The event's statuses are fewer than the records': a Todo check is Lack there. */
const EVENT_STATUS: Partial<Record<FeishuCheckResult, string>> = { Todo: 'Lack' }
const eventStatus = (result: FeishuCheckResult) => EVENT_STATUS[result] ?? result

/** Each check (by segment and side) whose result or supplement differs between the two tasks. */
export function feishuStatusChanges(before: FeishuUserTask, after: FeishuUserTask): FeishuStatusChange[] {
  const changes: FeishuStatusChange[] = []
  after.records.forEach((record, index) => {
    const old = before.records[index]
    for (const [side, workType] of [
      ['in', 'on'],
      ['out', 'off'],
    ] as const) {
      const change: FeishuStatusChange = {
        index,
        work_type: workType,
        before_status: eventStatus(old ? old[`check_${side}_result`] : 'NoNeedCheck'),
        current_status: eventStatus(record[`check_${side}_result`]),
        before_supplement: old ? old[`check_${side}_result_supplement`] : 'None',
        current_supplement: record[`check_${side}_result_supplement`],
      }
      if (
        change.before_status !== change.current_status ||
        change.before_supplement !== change.current_supplement
      )
        changes.push(change)
    }
  })
  return changes
}

function envelope(type: string, source: FeishuEventSource, event: Record<string, unknown>): FeishuEnvelope {
  return {
    schema: '2.0',
    header: {
      event_id: randomBytes(16).toString('hex'),
      event_type: type,
      create_time: String(Date.now()),
      token: source.verificationToken,
      app_id: source.appId,
      tenant_key: source.tenantKey,
    },
    event,
  }
}

export function feishuTaskEvent(
  change: DayChange<FeishuUserTask>,
  source: FeishuEventSource,
): FeishuEnvelope {
  const task = change.after
  return envelope(FEISHU_TASK_UPDATED, source, {
    employee_id: change.userId,
    employee_no: change.userId,
    date: task.day,
    time_zone: source.timezone,
    task_id: task.result_id,
    group_id: task.group_id,
    shift_id: task.shift_id,
    status_changes: feishuStatusChanges(change.before, task),
  })
}

/** The check records of `after` that `before` did not have (a new record, or a record at a new time). */
function newChecks(before: FeishuUserTask, after: FeishuUserTask): FeishuUserFlow[] {
  const flows = (task: FeishuUserTask) =>
    task.records.flatMap((record) =>
      [record.check_in_record, record.check_out_record].filter((flow) => flow !== undefined),
    )
  const known = new Set(flows(before).map((flow) => `${flow.record_id}@${flow.check_time}`))
  const made = new Map<string, FeishuUserFlow>()
  for (const flow of flows(after)) {
    const key = `${flow.record_id}@${flow.check_time}`
    if (!known.has(key)) made.set(key, flow)
  }
  return [...made.values()]
}

export function feishuFlowEvents(
  change: DayChange<FeishuUserTask>,
  source: FeishuEventSource,
): FeishuEnvelope[] {
  return newChecks(change.before, change.after).map((flow) =>
    envelope(FEISHU_FLOW_CREATED, source, {
      employee_id: change.userId,
      employee_no: change.userId,
      check_time: flow.check_time,
      record_id: flow.record_id,
      location_name: flow.location_name,
      comment: flow.comment ?? '',
      ssid: flow.ssid ?? '',
      bssid: flow.bssid ?? '',
      is_field: flow.is_field,
      is_wifi: flow.is_wifi,
      type: flow.type,
      photo_urls: flow.photo_urls ?? [],
      risk_result: 0,
    }),
  )
}
