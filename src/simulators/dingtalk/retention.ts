// DingTalk serves no attendance/list data older than half a year (FACTS.md; about 180 days). With
// `retentionDays` on, the simulator serves the days from today − retentionDays (today in its zone, on
// `dataClock`) onwards; a range reaching further back answers errcode 0 with no rows for the older days.
//
// Why no rows and not a refusal: the attendance/list page says only that such data is not served;
// `850002 禁止查询半年以前的数据` is documented for getupdatedata, another endpoint. No rows is also the
// stricter behaviour for a client: the answer looks like days without a schedule, so a client that does
// not apply the rule itself returns an old range as complete and empty; a refusal would have told it.
import { localEpochDay } from '../shared/zoned-clock.js'

/** The first epoch day served, or undefined when every day is (`retentionDays` 0). */
export function oldestServedDay(now: number, timezone: string, retentionDays: number): number | undefined {
  if (retentionDays <= 0) return undefined
  return localEpochDay(timezone, now) - retentionDays
}
