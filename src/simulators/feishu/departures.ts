// Departed employees, for include_terminated_user. The page beside vendor-docs/FACTS.md: "a new hire may
// reuse a departed employee's employee_id / employee_no; with true, the data of every active and departed
// employee of the id comes back; with false, only the active one's or the most recent departed one's".
//
// The simulator's departed employees are the ids that start with `departedUserPrefix` followed by a date,
// `departed_20240508…`: the employee who held the id worked until that day (its last work day) and left, and
// a new hire has held the id since the next day. So with false, the days up to the departure have no task;
// with true, they are the departed employee's. A departure takes effect once its last day is over in the
// simulator's zone, on `dataClock`: before that, the id is simply the employee who still holds it.
//
// A departed employee's tasks are those of another person, in no attendance group (group_id "1"), with
// every time reckoned at UTC+0 (09:00–18:00 UTC): departed people have no attendance group ("离职人员没有
// 考勤组") and Feishu then reckons their times at zone 0 ("如果发起人已离职，则默认为 0 时区"), both from the
// attendance pages summarized in vendor-docs/DIRECTORY.md. The user_tasks page says nothing of the zone;
// the simulator takes the stricter reading.
import { fromCompactDate, parseWorkDate } from '../../platform/time/work-date.js'
import { localEpochDay } from '../shared/zoned-clock.js'

/** The zone a departed employee's times are reckoned in. */
export const DEPARTED_TIMEZONE = 'UTC'
/** The group_id of "in no attendance group". */
export const NO_GROUP_ID = '1'

/** The epoch day of the last work day of the id's departed employee, or null when the id has none. */
export function lastDayBeforeDeparture(userId: string, prefix: string): number | null {
  if (!userId.startsWith(prefix)) return null
  const digits = /^\d{8}/.exec(userId.slice(prefix.length))?.[0]
  return digits === undefined ? null : parseWorkDate(fromCompactDate(Number(digits)))
}

export interface Departures {
  prefix: string
  timezone: string
}

/**
 * Who held the id on a work day, as the vendor sees it at `nowMs`: the departed employee (on the days up to
 * a departure that is over), or the one who holds it now.
 */
export function holderOn(
  userId: string,
  epochDay: number,
  nowMs: number,
  departures: Departures,
): 'departed' | 'current' {
  const lastDay = lastDayBeforeDeparture(userId, departures.prefix)
  if (lastDay === null || epochDay > lastDay) return 'current'
  return localEpochDay(departures.timezone, nowMs) > lastDay ? 'departed' : 'current'
}
