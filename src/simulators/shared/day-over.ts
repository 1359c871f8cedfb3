// Whether a work day is over, so that its data no longer depends on the simulator's clock (`dataClock`):
// the checks of a day that has not ended are made as time passes (each vendor's checks-so-far), those of a
// day that has ended are all made. Answer caches keep only days that are over.
//
// Zone-free on purpose: a day's checks are local times in the attendance group's zone, and a departed
// Feishu employee's are reckoned at UTC+0, so "over" must hold in any zone. Work day D ends last at UTC−12,
// at D+1 12:00 UTC.
const DAY_MS = 86_400_000
const LATEST_END_MS = DAY_MS + 12 * 3_600_000

/** True when every local time of work day `epochDay`, in any zone, is before `nowMs` (epoch ms). */
export function dayIsOver(epochDay: number, nowMs: number): boolean {
  return nowMs >= epochDay * DAY_MS + LATEST_END_MS
}
