// The text of one cache entry: "<generation>|<payload>". The generation stays in plain digits so that the
// store can compare it without decoding (see PUT_ENTRIES_IF_NEWER); the payload is the day as JSON.
//
// Not compressed: deflate + base64 halved the bytes (794 against 1,539 B an entry with raw rows) but made
// lookups 2.3-2.9× slower and writes 2-3× slower (bench/RESULTS.md, cache-lookup), and decoding a unit of
// 500 users held the event loop for about a second. Payloads written deflated ("z:…") are still read.
import { inflateRawSync } from 'node:zlib'
import type { CachedDay } from '../attendance/day-cache.js'
import type { DayResult } from '../schemas/day-result.js'

const DEFLATED = 'z:'

export function encodeEntry(entry: CachedDay, generation: number): string {
  return `${generation}|${JSON.stringify({ at: entry.fetchedAt, day: entry.day })}`
}

/**
 * What a vendor change event leaves in place of an entry: a miss for every lookup, with the event's
 * generation, so that a fetch that started before the event (and may hold the old day) cannot write its
 * answer over it; a fetch that starts after it can.
 */
export function encodeTombstone(generation: number): string {
  return `${generation}|{"stale":true}`
}

/** The entry, or undefined when the text is not one (another shape, damaged): then it counts as a miss. */
export function decodeEntry(text: string): CachedDay | undefined {
  const bar = text.indexOf('|')
  if (bar < 0) return undefined
  const payload = text.slice(bar + 1)
  try {
    const json = payload.startsWith(DEFLATED)
      ? inflateRawSync(Buffer.from(payload.slice(DEFLATED.length), 'base64')).toString('utf8')
      : payload
    const value = JSON.parse(json) as { at?: unknown; day?: unknown }
    if (typeof value.at !== 'number' || (value.day !== null && typeof value.day !== 'object'))
      return undefined
    return { fetchedAt: value.at, day: value.day as DayResult | null }
  } catch {
    return undefined
  }
}
