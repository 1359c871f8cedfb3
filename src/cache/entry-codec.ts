// The text of one cache entry: "<generation>|<payload>". The generation stays in plain digits so that the
// store can compare it without decoding (see PUT_ENTRIES_IF_NEWER); the payload is the day as JSON, deflated
// when that makes it smaller (DayResults with raw rows shrink to about a third, see bench/RESULTS.md).
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import type { CachedDay } from '../attendance/day-cache.js'
import type { DayResult } from '../schemas/day-result.js'

const DEFLATED = 'z:'
/** Below this many bytes deflating saves little and costs a call. */
const DEFLATE_FROM = 256

export function encodeEntry(entry: CachedDay, generation: number): string {
  const json = JSON.stringify({ at: entry.fetchedAt, day: entry.day })
  const payload =
    json.length >= DEFLATE_FROM ? `${DEFLATED}${deflateRawSync(json, { level: 6 }).toString('base64')}` : json
  return `${generation}|${payload}`
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
