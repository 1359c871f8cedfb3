// DingTalk attendance events as the days they change, from the HTTP push envelope (decrypted) or a stream
// message's data. Both spellings of the check list (`DataList`, `dataList`) are read. An approval change
// names no day: it names approval ids, and the cache knows which of its days carry them.
import type { DingTalkSourceConfig } from '../../config/source-config.js'
import type { ChangedDay } from '../../domain/events/event-effects.js'
import { parseWorkDate } from '../../platform/time/work-date.js'
import { checkDays } from '../feishu/events.js'

export const DINGTALK_DAILY_SUMMARY = 'attend_user_daily_summary_refresh'
export const DINGTALK_BOSS_CHECK = 'attend_bossCheck_change'
export const DINGTALK_CHECK_RECORD = 'attendance_check_record'
export const DINGTALK_APPROVAL = 'attendance_approve_status_change'

/** "2023-12-12" or "2020-11-10 00:00:00" as `2023-12-12`, or null. */
function workDateOf(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const date = value.slice(0, 10)
  return parseWorkDate(date) === null ? null : date
}

export function dingtalkEventDays(
  type: string,
  data: Record<string, unknown>,
  source: DingTalkSourceConfig,
): ChangedDay[] {
  switch (type) {
    case DINGTALK_DAILY_SUMMARY:
    case DINGTALK_BOSS_CHECK: {
      const workDate = workDateOf(data.workDate)
      return typeof data.userId === 'string' && workDate ? [{ userId: data.userId, workDate }] : []
    }
    case DINGTALK_CHECK_RECORD: {
      const list = Array.isArray(data.dataList)
        ? data.dataList
        : Array.isArray(data.DataList)
          ? data.DataList
          : []
      return list.flatMap((item: unknown) => {
        const check = item as { userId?: unknown; checkTime?: unknown }
        if (typeof check.userId !== 'string') return []
        const userId = check.userId
        return checkDays(Number(check.checkTime), source.timezone).map((workDate) => ({ userId, workDate }))
      })
    }
    default:
      return []
  }
}

/** The approval ids an approval event names (its process instance, and the main one of a sub-process). */
export function dingtalkApprovalIds(type: string, data: Record<string, unknown>): string[] {
  if (type !== DINGTALK_APPROVAL) return []
  return [data.processInstanceId, data.mainProcessInstanceId].filter(
    (id): id is string => typeof id === 'string' && id !== '',
  )
}
