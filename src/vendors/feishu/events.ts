// Feishu / Lark attendance events (schema 2.0) as the days they change. `user_task.updated_v1` names the
// user and the date whose result changed; `user_flow.created_v1` is a new check, which may change the
// check's local date and, for an overnight shift, the day before. Other event types change no day.
import type { FeishuSourceConfig } from '../../config/source-config.js'
import type { ChangedDay } from '../../domain/events/event-effects.js'
import { formatWorkDate, parseWorkDate } from '../../platform/time/work-date.js'
import { workDateInZone } from '../../platform/time/zoned-time.js'

export interface FeishuEnvelope {
  schema?: string
  header?: {
    event_id?: unknown
    event_type?: unknown
    token?: unknown
    create_time?: unknown
    app_id?: unknown
  }
  event?: Record<string, unknown>
}

export const FEISHU_TASK_UPDATED = 'attendance.user_task.updated_v1'
export const FEISHU_FLOW_CREATED = 'attendance.user_flow.created_v1'

/** `20240506` (number or string) as `2024-05-06`, or null when it is no calendar date. */
export function compactDate(value: unknown): string | null {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : ''
  if (!/^\d{8}$/.test(text)) return null
  const date = `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`
  return parseWorkDate(date) === null ? null : date
}

/** A check's local date and the day before (an overnight shift's day), in the source's zone. */
export function checkDays(epochMs: number, timezone: string): string[] {
  if (!Number.isFinite(epochMs)) return []
  const date = workDateInZone(epochMs, timezone)
  const day = parseWorkDate(date) as number
  return [formatWorkDate(day - 1), date]
}

/**
 * Whether the envelope is addressed to the source's app: `header.app_id` must be its appId. An event of
 * another app (one Verification Token or connection shared by mistake, or a replay from elsewhere) changes
 * nothing here.
 */
export function isForApp(envelope: FeishuEnvelope, source: FeishuSourceConfig): boolean {
  return envelope.header?.app_id === source.appId
}

export function feishuEventDays(envelope: FeishuEnvelope, source: FeishuSourceConfig): ChangedDay[] {
  const event = envelope.event ?? {}
  const userId = source.employeeType === 'employee_no' ? event.employee_no : event.employee_id
  if (typeof userId !== 'string' || userId === '') return []
  switch (envelope.header?.event_type) {
    case FEISHU_TASK_UPDATED: {
      const workDate = compactDate(event.date)
      return workDate ? [{ userId, workDate }] : []
    }
    case FEISHU_FLOW_CREATED: {
      const seconds = Number(event.check_time)
      return checkDays(seconds * 1000, source.timezone).map((workDate) => ({ userId, workDate }))
    }
    default:
      return []
  }
}
