// The DingTalk event of a changed day (vendor-docs/EVENTS.md): `attend_user_daily_summary_refresh`, the
// user and the work date whose statistics changed. The HTTP push envelope carries the data fields beside
// EventType, eventId, CorpId and EventTime; the stream mode sends the same data under its own headers.
import { randomBytes } from 'node:crypto'
import type { DayChange } from '../shared/day-events.js'
import type { DingTalkRow } from './types.js'

export const DINGTALK_DAILY_SUMMARY = 'attend_user_daily_summary_refresh'

export interface DingTalkDailySummaryEvent {
  EventType: typeof DINGTALK_DAILY_SUMMARY
  eventId: string
  CorpId: string
  /** Epoch ms. */
  EventTime: number
  userId: string
  /** 'YYYY-MM-DD' */
  workDate: string
}

export function dingTalkDailySummaryEvent(
  change: DayChange<DingTalkRow[]>,
  corpId: string,
): DingTalkDailySummaryEvent {
  return {
    EventType: DINGTALK_DAILY_SUMMARY,
    eventId: randomBytes(16).toString('hex'),
    CorpId: corpId,
    EventTime: Date.now(),
    userId: change.userId,
    workDate: change.workDate,
  }
}
