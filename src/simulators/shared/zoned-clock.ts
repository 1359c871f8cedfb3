// Vendors report scheduled and actual check times as instants of local wall-clock times in the attendance
// group's zone (09:00 in Asia/Shanghai is 01:00Z). This turns (zone, work day, minute of day) into epoch ms,
// and an instant into the local calendar day (what "today" is for retention and the monthly quota).
// It is the simulators' own copy on purpose: the service's time code is what the simulators check.
const DAY_MS = 86_400_000
const MINUTE_MS = 60_000
const formatters = new Map<string, Intl.DateTimeFormat>()
const cache = new Map<string, number>()
const CACHE_LIMIT = 100_000

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(timeZone, format)
  }
  return format
}

/** Throws a RangeError for a name that is not an IANA time zone. */
export function assertTimeZone(timeZone: string): void {
  formatter(timeZone)
}

/** How far the zone's wall clock is ahead of UTC at an instant, in ms. */
function offsetAt(timeZone: string, epochMs: number): number {
  const fields: Record<string, number> = {}
  for (const part of formatter(timeZone).formatToParts(new Date(epochMs))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value)
  }
  const wall = Date.UTC(
    fields.year ?? 1970,
    (fields.month ?? 1) - 1,
    fields.day ?? 1,
    fields.hour ?? 0,
    fields.minute ?? 0,
    fields.second ?? 0,
  )
  return wall - (epochMs - (((epochMs % 1000) + 1000) % 1000))
}

/** Epoch ms of a local wall-clock time on a work day (days since 1970-01-01) in a zone. */
export function zonedEpochMs(timeZone: string, epochDay: number, minuteOfDay: number): number {
  const key = `${timeZone}|${epochDay}|${minuteOfDay}`
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  const wall = epochDay * DAY_MS + minuteOfDay * MINUTE_MS
  // Two passes settle the offset, also on days when it changes (DST).
  const guess = wall - offsetAt(timeZone, wall)
  const instant = wall - offsetAt(timeZone, guess)
  if (cache.size >= CACHE_LIMIT) cache.clear()
  cache.set(key, instant)
  return instant
}

/** The local calendar day (days since 1970-01-01) of an instant in a zone. */
export function localEpochDay(timeZone: string, epochMs: number): number {
  return Math.floor((epochMs + offsetAt(timeZone, epochMs)) / DAY_MS)
}
