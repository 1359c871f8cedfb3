// Work dates are calendar dates with no time or zone ('YYYY-MM-DD'). They are handled as whole days since
// the Unix epoch so that arithmetic never crosses a DST or zone boundary.
const DAY_MS = 86_400_000
const WORK_DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** Days since 1970-01-01 of a real calendar date, or null when the text is not one (e.g. 2023-02-29). */
export function parseWorkDate(text: string): number | null {
  const match = WORK_DATE.exec(text)
  if (!match) return null
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const ms = Date.UTC(year, month - 1, day)
  const back = new Date(ms)
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day)
    return null
  return ms / DAY_MS
}

// A query formats the same few hundred dates over and over (one per user-day it looks up, plans or
// writes): 7% of the service's CPU for a cached answer went to Date and toISOString. So each date's text
// is made once; 20,000 of them (55 years) at most, a few hundred KiB.
const FORMATTED_DATES_KEPT = 20_000
const formattedDates = new Map<number, string>()

export function formatWorkDate(epochDay: number): string {
  let text = formattedDates.get(epochDay)
  if (text === undefined) {
    text = new Date(epochDay * DAY_MS).toISOString().slice(0, 10)
    if (formattedDates.size < FORMATTED_DATES_KEPT) formattedDates.set(epochDay, text)
  }
  return text
}

/** 'YYYY-MM-DD' → the yyyyMMdd integer Feishu uses for work days. */
export function toCompactDate(epochDay: number): number {
  return Number(formatWorkDate(epochDay).replaceAll('-', ''))
}

/** Feishu's yyyyMMdd integer → 'YYYY-MM-DD'. */
export function fromCompactDate(compact: number): string {
  const text = String(compact).padStart(8, '0')
  return `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`
}

/** Day of week of an epoch day: 0 Sunday … 6 Saturday. */
export function weekday(epochDay: number): number {
  // 1970-01-01 was a Thursday; the double modulo keeps days before 1970 in 0..6 too.
  return (((epochDay + 4) % 7) + 7) % 7
}

export interface DateWindow {
  /** First epoch day, inclusive. */
  from: number
  /** Last epoch day, inclusive. */
  to: number
}

/** Splits an inclusive range into consecutive, non-overlapping windows of at most `maxDays` days. */
export function splitIntoWindows(range: DateWindow, maxDays: number): DateWindow[] {
  const windows: DateWindow[] = []
  for (let start = range.from; start <= range.to; start += maxDays) {
    windows.push({ from: start, to: Math.min(start + maxDays - 1, range.to) })
  }
  return windows
}
