// Realistic result-cache entries in any number: the entries a service wrote for a real query against the
// simulators (raw rows included, as the service always keeps them), read back from Redis and copied to
// further user ids of the same length. And the ways an entry could be encoded, to weigh the codec
// (src/domain/cache/entry-codec.ts) against the alternatives in bytes and in CPU.
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import type { Redis } from 'ioredis'
import type { CachedDay } from '../../src/domain/attendance/day-cache.js'
import { decodeEntry, encodeEntry } from '../../src/domain/cache/entry-codec.js'
import type { DayResult } from '../../src/schemas/day-result.js'

export type Vendor = 'feishu' | 'dingtalk'

/** One source's entries as the service wrote them, by template user and work date. */
export interface Templates {
  vendor: Vendor
  /** The tenant's hash tag in the keys (cache-keys.ts). */
  tag: string
  /** The template users, sorted; the copies cycle through them. */
  users: string[]
  /** Entry JSON ({at, day}) by user, then work date: what the codec starts from. */
  byUser: Map<string, Map<string, { at: number; day: string | null }>>
  /** One user's entries left out of the templates: the material of a preset deflate dictionary. */
  dictionaryUser: string
}

const KEY = /^day:v\d+:\{([0-9a-f]+)\}:no:([^:]+):(\d{4}-\d{2}-\d{2})$/
const LETTER: Record<Vendor, string> = { feishu: 'f', dingtalk: 'd' }

/** Reads every entry under `prefix` (written by a service for users f00000… and d00000…). */
export async function harvest(client: Redis, prefix: string): Promise<Record<Vendor, Templates>> {
  const found = { feishu: new Map(), dingtalk: new Map() } as Record<Vendor, Templates['byUser']>
  const tags: Partial<Record<Vendor, string>> = {}
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}day:*`, 'COUNT', 2000)
    cursor = next
    if (keys.length === 0) continue
    const values = await client.mget(...keys)
    keys.forEach((key, index) => {
      const match = KEY.exec(key.slice(prefix.length))
      const entry = decodeEntry(values[index] ?? '')
      if (!match || !entry) throw new Error(`not a cache entry: ${key}`)
      const [, tag, userId, workDate] = match as unknown as [string, string, string, string]
      const vendor: Vendor = userId.startsWith(LETTER.feishu) ? 'feishu' : 'dingtalk'
      tags[vendor] = tag
      const byDate = found[vendor].get(userId) ?? new Map()
      byDate.set(workDate, { at: entry.fetchedAt, day: entry.day ? JSON.stringify(entry.day) : null })
      found[vendor].set(userId, byDate)
    })
  } while (cursor !== '0')
  const templates = (vendor: Vendor): Templates => {
    const users = [...found[vendor].keys()].sort()
    const dictionaryUser = users.pop()
    if (!dictionaryUser || !tags[vendor]) throw new Error(`no ${vendor} entries under ${prefix}`)
    return { vendor, tag: tags[vendor], users, byUser: found[vendor], dictionaryUser }
  }
  return { feishu: templates('feishu'), dingtalk: templates('dingtalk') }
}

/** The id of the `index`th copied user: the same length as the templates' ids. */
export function copiedUserId(vendor: Vendor, index: number): string {
  return `${LETTER[vendor]}${String(index).padStart(5, '0')}`
}

/** The entry of copied user `index` on `workDate`: a template user's, with the user id swapped in. */
export function entryFor(templates: Templates, index: number, workDate: string): CachedDay {
  const template = templates.users[index % templates.users.length] as string
  return entryOf(templates, template, workDate, copiedUserId(templates.vendor, index))
}

function entryOf(templates: Templates, template: string, workDate: string, userId: string): CachedDay {
  const held = templates.byUser.get(template)?.get(workDate)
  if (!held) throw new Error(`no template entry for ${template} on ${workDate}`)
  return {
    fetchedAt: held.at,
    day:
      held.day === null
        ? null
        : (JSON.parse(held.day.replaceAll(`"${template}"`, `"${userId}"`)) as DayResult),
  }
}

export function withoutRaw(entry: CachedDay): CachedDay {
  if (!entry.day) return entry
  const { raw: _raw, ...day } = entry.day
  return { fetchedAt: entry.fetchedAt, day }
}

/**
 * A preset dictionary for deflate: three weekdays of the user left out of the templates, as the codec
 * would encode them. A real codec would ship such a dictionary per vendor and schema version.
 */
export function dictionaryFor(templates: Templates, dates: readonly string[], raw: boolean): Buffer {
  const days = dates
    .map((date) => entryOf(templates, templates.dictionaryUser, date, templates.dictionaryUser))
    .filter((entry) => entry.day !== null)
    .slice(0, 3)
    .map((entry) => entryJson(raw ? entry : withoutRaw(entry)))
  return Buffer.from(days.join(''))
}

/** What every encoding starts from, as the codec writes it. */
function entryJson(entry: CachedDay): string {
  return JSON.stringify({ at: entry.fetchedAt, day: entry.day })
}

export interface Encoding {
  name: string
  /** Needs a binary-safe client path (mgetBuffer): the service's store reads and writes strings today. */
  binary: boolean
  encode(entry: CachedDay, generation: number): string | Buffer
  decode(value: string | Buffer): CachedDay | undefined
}

/** The same threshold as the codec's. */
const DEFLATE_FROM = 256

export const JSON_ENCODING: Encoding = {
  name: 'JSON, uncompressed',
  binary: false,
  encode: (entry, generation) => `${generation}|${entryJson(entry)}`,
  // The codec reads an undeflated payload as it is.
  decode: (value) => decodeEntry(String(value)),
}

export const CODEC_ENCODING: Encoding = {
  name: 'the service codec (plain JSON since 6c18b34)',
  binary: false,
  encode: (entry, generation) => encodeEntry(entry, generation),
  decode: (value) => decodeEntry(String(value)),
}

/** Deflated bytes as they are, behind the same "<generation>|z:" head. */
export function deflateBinary(dictionary?: Buffer): Encoding {
  const options = dictionary ? { level: 6, dictionary } : { level: 6 }
  return {
    name: dictionary ? 'deflate + preset dictionary, binary' : 'deflate, binary (no base64)',
    binary: true,
    encode(entry, generation) {
      const json = entryJson(entry)
      if (json.length < DEFLATE_FROM) return `${generation}|${json}`
      return Buffer.concat([Buffer.from(`${generation}|z:`), deflateRawSync(json, options)])
    },
    decode(value) {
      const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value)
      const bar = bytes.indexOf(0x7c)
      const deflated = bytes[bar + 1] === 0x7a && bytes[bar + 2] === 0x3a
      const json = deflated
        ? inflateRawSync(bytes.subarray(bar + 3), options).toString('utf8')
        : bytes.subarray(bar + 1).toString('utf8')
      const parsed = JSON.parse(json) as { at: number; day: DayResult | null }
      return { fetchedAt: parsed.at, day: parsed.day }
    },
  }
}

/** Deflated with a preset dictionary, base64 like the codec: what works with the string store as it is. */
export function deflateDictionaryBase64(dictionary: Buffer): Encoding {
  const options = { level: 6, dictionary }
  return {
    name: 'deflate + preset dictionary, base64',
    binary: false,
    encode(entry, generation) {
      const json = entryJson(entry)
      if (json.length < DEFLATE_FROM) return `${generation}|${json}`
      return `${generation}|z:${deflateRawSync(json, options).toString('base64')}`
    },
    decode(value) {
      const text = String(value)
      const bar = text.indexOf('|')
      const payload = text.slice(bar + 1)
      const json = payload.startsWith('z:')
        ? inflateRawSync(Buffer.from(payload.slice(2), 'base64'), options).toString('utf8')
        : payload
      const parsed = JSON.parse(json) as { at: number; day: DayResult | null }
      return { fetchedAt: parsed.at, day: parsed.day }
    },
  }
}

/** Mean MEMORY USAGE of `keys` (bytes Redis holds for key, value and their bookkeeping). */
export async function meanMemoryUsage(client: Redis, keys: readonly string[]): Promise<number> {
  const pipeline = client.pipeline()
  for (const key of keys) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')
  const replies = (await pipeline.exec()) ?? []
  let total = 0
  for (const [error, bytes] of replies) {
    if (error || typeof bytes !== 'number') throw new Error(`MEMORY USAGE failed: ${String(error ?? bytes)}`)
    total += bytes
  }
  return total / keys.length
}

/** A small seeded generator (mulberry32), so that every run samples the same user-days. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
