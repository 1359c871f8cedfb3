// Instants rendered in an IANA time zone. Normalizing one query can format hundreds of thousands of
// times, and Intl is slow (a few µs a call), so Intl is only asked for a zone's UTC offset once per hour of
// time per zone; every call after that is two cache hits and some string building (~8M calls/s).
//
// An hour's cache entry stays exact across a DST or zone change inside that hour (including the 15/30/45
// minute offsets of zones like Asia/Kathmandu): when the offsets at the two ends of the hour differ, the
// entry keeps both and the second the change happens. tzdb has no zone that changes twice within an hour.
import { parseWorkDate } from './work-date.js'

const HOUR_MS = 3_600_000
const SECOND_MS = 1000
const MAX_EPOCH_MS = 8.64e15
// About eleven years of hours per zone; a long-running service querying random dates must not grow forever.
const MAX_CACHED_HOURS = 100_000

interface Offset {
  /** Offset in whole minutes, as ms; RFC 3339 offsets have no seconds (see `offsetOf`). */
  readonly ms: number
  /** '+08:00', '-04:00', '+05:45'; UTC is '+00:00', never 'Z', so every time has the same shape. */
  readonly text: string
}

interface HourEntry {
  /** Instants before `changeAt` use `before`, the rest `after`; the same object when nothing changes. */
  readonly changeAt: number
  readonly before: Offset
  readonly after: Offset
}

interface Zone {
  readonly format: Intl.DateTimeFormat
  readonly hours: Map<number, HourEntry>
}

const zones = new Map<string, Zone>()

function zoneOf(timeZone: string): Zone {
  let zone = zones.get(timeZone)
  if (zone === undefined) {
    // Throws RangeError for an unknown zone; nothing is cached then.
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    zone = { format, hours: new Map() }
    zones.set(timeZone, zone)
  }
  return zone
}

/** The zone's offset at a whole second, asked of Intl: local wall time read as UTC, minus the instant. */
function offsetOf(zone: Zone, second: number): Offset {
  const fields: Record<string, number> = {}
  let bc = false
  for (const part of zone.format.formatToParts(second)) {
    if (part.type === 'era') bc = part.value === 'BC'
    else if (part.type !== 'literal') fields[part.type] = Number(part.value)
  }
  const wall = new Date(0)
  const year = fields.year ?? 1970
  wall.setUTCFullYear(bc ? 1 - year : year, (fields.month ?? 1) - 1, fields.day ?? 1)
  wall.setUTCHours(fields.hour ?? 0, fields.minute ?? 0, fields.second ?? 0, 0)
  // Local mean time offsets before ~1900 have seconds (Asia/Shanghai LMT is +08:05:43). Rounding to the
  // minute keeps the rendered text the same instant; only the wall clock shown is off by those seconds.
  const minutes = Math.round((wall.getTime() - second) / 60_000)
  const sign = minutes < 0 ? '-' : '+'
  const abs = Math.abs(minutes)
  const text = `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`
  return { ms: minutes * 60_000, text }
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value)
}

function hourEntry(zone: Zone, hour: number): HourEntry {
  const start = hour * HOUR_MS
  const before = offsetOf(zone, start)
  const after = offsetOf(zone, start + HOUR_MS - SECOND_MS)
  if (before.ms === after.ms) return { changeAt: start, before: after, after }
  // Binary search, in whole seconds, for the first second that already has the new offset.
  let low = start // known to have the old offset
  let high = start + HOUR_MS - SECOND_MS // known to have the new one
  while (high - low > SECOND_MS) {
    const middle = low + Math.floor((high - low) / 2 / SECOND_MS) * SECOND_MS
    if (offsetOf(zone, middle).ms === after.ms) high = middle
    else low = middle
  }
  return { changeAt: high, before, after }
}

function offsetAt(epochMs: number, timeZone: string): Offset {
  if (!Number.isFinite(epochMs) || Math.abs(epochMs) > MAX_EPOCH_MS) {
    throw new RangeError(`Not a representable instant: ${epochMs}`)
  }
  const zone = zoneOf(timeZone)
  const hour = Math.floor(epochMs / HOUR_MS)
  let entry = zone.hours.get(hour)
  if (entry === undefined) {
    if (zone.hours.size >= MAX_CACHED_HOURS) zone.hours.clear()
    entry = hourEntry(zone, hour)
    zone.hours.set(hour, entry)
  }
  return epochMs < entry.changeAt ? entry.before : entry.after
}

const DAY_SECONDS = 86_400
const TWO_DIGITS = Array.from({ length: 60 }, (_, value) => (value < 10 ? `0${value}` : String(value)))
// Date#toISOString alone caps formatting near 2M calls/s; building the text from a cached date and
// two-digit strings is several times faster. Zone-independent: keyed by local days since the epoch.
const dateTexts = new Map<number, string>()
const MAX_CACHED_DATES = 50_000

function dateText(localDay: number): string {
  let text = dateTexts.get(localDay)
  if (text === undefined) {
    const iso = new Date(localDay * DAY_SECONDS * SECOND_MS).toISOString()
    text = iso.slice(0, iso.indexOf('T')) // years past 9999 are '+010000-…', so not a fixed width
    if (dateTexts.size >= MAX_CACHED_DATES) dateTexts.clear()
    dateTexts.set(localDay, text)
  }
  return text
}

/** Local wall time of the instant as 'YYYY-MM-DDTHH:mm:ss' (ms dropped, not rounded). */
function localText(epochMs: number, offset: Offset): string {
  const localSecond = Math.floor(epochMs / SECOND_MS) + offset.ms / SECOND_MS
  const localDay = Math.floor(localSecond / DAY_SECONDS)
  const secondOfDay = localSecond - localDay * DAY_SECONDS
  const hour = Math.floor(secondOfDay / 3600)
  const minute = Math.floor((secondOfDay % 3600) / 60)
  return `${dateText(localDay)}T${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[secondOfDay % 60]}`
}

/** The local calendar date of the instant in the zone, 'YYYY-MM-DD'. Throws like `formatInZone`. */
export function workDateInZone(epochMs: number, timeZone: string): string {
  const localSecond = Math.floor(epochMs / SECOND_MS) + offsetAt(epochMs, timeZone).ms / SECOND_MS
  return dateText(Math.floor(localSecond / DAY_SECONDS))
}

/**
 * The work date whose start in the zone lies nearest to the instant, and whether the instant is exactly
 * that start. DingTalk's `workDate` is the epoch ms of a local midnight in the attendance group's zone: read
 * in the right zone it is exact; read in a zone up to ±11 h away the nearest midnight is still the right
 * day (reading its plain local date would put every day of a zone east of it one day early).
 */
export function nearestWorkDateInZone(
  epochMs: number,
  timeZone: string,
): { workDate: string; exact: boolean } {
  const localSecond = Math.floor(epochMs / SECOND_MS) + offsetAt(epochMs, timeZone).ms / SECOND_MS
  const workDate = dateText(Math.floor((localSecond + DAY_SECONDS / 2) / DAY_SECONDS))
  return { workDate, exact: zonedMidnight(workDate, timeZone) === epochMs }
}

/**
 * RFC 3339 with the zone's UTC offset at that instant, to the second: '2021-01-04T09:00:00+08:00'.
 * UTC gives '+00:00' rather than 'Z'. Throws RangeError for an unknown zone or a non-finite instant.
 */
export function formatInZone(epochMs: number, timeZone: string): string {
  const offset = offsetAt(epochMs, timeZone)
  return localText(epochMs, offset) + offset.text
}

const validity = new Map<string, boolean>()

/** Whether Intl knows the IANA zone (case-insensitively, as Intl does). Offsets like '+08:00' are not zones. */
export function isValidTimeZone(name: string): boolean {
  let valid = validity.get(name)
  // Node 24's Intl also takes UTC offsets ("+08:00") as zones; an offset has no DST rules and no name, so a
  // source's zone must be an IANA name.
  if (valid === undefined && /^[+-]/.test(name)) valid = false
  if (valid === undefined) {
    try {
      zoneOf(name)
      valid = true
    } catch {
      valid = false
    }
    if (validity.size < 1000) validity.set(name, valid)
  }
  return valid
}

/**
 * Epoch ms at which the work date starts in the zone: its local midnight, or — where a DST change skips
 * midnight (e.g. America/Santiago, Asia/Beirut) — the first instant of that date. When midnight happens
 * twice, the first one. Throws RangeError for a malformed date or an unknown zone.
 */
export function zonedMidnight(workDate: string, timeZone: string): number {
  const epochDay = parseWorkDate(workDate)
  if (epochDay === null) throw new RangeError(`Not a work date: ${workDate}`)
  const wallMidnight = epochDay * 86_400_000
  // The offsets a day either side cover both sides of any change near midnight.
  const candidates = [
    wallMidnight - offsetAt(wallMidnight - 86_400_000, timeZone).ms,
    wallMidnight - offsetAt(wallMidnight + 86_400_000, timeZone).ms,
  ].sort((a, b) => a - b)
  for (const candidate of candidates) {
    if (formatInZone(candidate, timeZone).slice(0, 19) === `${workDate}T00:00:00`) return candidate
  }
  // Midnight was skipped: the day starts at the change, between the two candidates.
  let low = candidates[0] ?? wallMidnight
  let high = candidates[1] ?? wallMidnight
  while (high - low > SECOND_MS) {
    const middle = low + Math.floor((high - low) / 2 / SECOND_MS) * SECOND_MS
    if (workDateInZone(middle, timeZone) >= workDate) high = middle
    else low = middle
  }
  return high
}
