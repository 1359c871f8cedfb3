// The text of one cache entry: "<generation>|<payload>". The generation stays in plain digits so that the
// store can compare it without decoding (see PUT_ENTRIES_IF_NEWER); the payload is the day as JSON, then —
// after a newline, which JSON text never holds — its vendor rows as JSON. Most queries do not show the
// rows, and parsing them made decoding the largest cost of a cached answer (18.6% of the service's CPU in
// a profile of cached 50 × 7 queries): they are parsed only when asked for, and otherwise not even read.
//
// Not compressed: deflate + base64 halved the bytes (794 against 1,539 B an entry with raw rows) but made
// lookups 2.3-2.9× slower and writes 2-3× slower (bench/RESULTS.md, cache-lookup), and decoding a unit of
// 500 users held the event loop for about a second. Payloads written deflated ("z:…") are still read.
import { inflateRawSync } from 'node:zlib'
import type { DayResult } from '../../schemas/day-result.js'
import type { CachedDay } from '../attendance/day-cache.js'

const DEFLATED = 'z:'
/** Between the day and its vendor rows. */
const RAW_ROWS = '\n'

export function encodeEntry(entry: CachedDay, generation: number): string {
  const { day } = entry
  if (!day || day.raw === undefined) return `${generation}|${JSON.stringify({ at: entry.fetchedAt, day })}`
  const { raw, ...shown } = day
  return `${generation}|${JSON.stringify({ at: entry.fetchedAt, day: shown })}${RAW_ROWS}${JSON.stringify(raw)}`
}

/**
 * What a vendor change event leaves in place of an entry: a miss for every lookup, with the event's
 * generation, so that a fetch that started before the event (and may hold the old day) cannot write its
 * answer over it; a fetch that starts after it can.
 */
export function encodeTombstone(generation: number): string {
  return `${generation}|{"stale":true}`
}

/**
 * The entry, or undefined when the text is not one (another shape, damaged): then it counts as a miss.
 * The day's vendor rows only `withRaw`.
 */
export function decodeEntry(text: string, withRaw = true): CachedDay | undefined {
  const bar = text.indexOf('|')
  if (bar < 0) return undefined
  const rows = text.indexOf(RAW_ROWS, bar)
  const payload = text.slice(bar + 1, rows < 0 ? undefined : rows)
  try {
    const json = payload.startsWith(DEFLATED)
      ? inflateRawSync(Buffer.from(payload.slice(DEFLATED.length), 'base64')).toString('utf8')
      : payload
    const value = JSON.parse(json) as { at?: unknown; day?: unknown }
    if (typeof value.at !== 'number' || (value.day !== null && typeof value.day !== 'object'))
      return undefined
    const day = value.day as DayResult | null
    if (day && withRaw && rows >= 0) day.raw = JSON.parse(text.slice(rows + 1))
    // Entries written before the rows were kept apart hold them in the day.
    if (day && !withRaw) delete day.raw
    return { fetchedAt: value.at, day }
  } catch {
    return undefined
  }
}
