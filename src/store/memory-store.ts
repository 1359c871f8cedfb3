import { type Clock, systemClock } from '../platform/time/clock.js'
import { afterRefusal, type PaceState, rateInForce, windowLimit } from './adaptive-pace.js'
import type {
  AppStore,
  CacheEntryWrite,
  LimiterKeys,
  LogEntry,
  OnceRecord,
  PaceChange,
  PaceSettings,
  SendReservation,
  SharedStore,
  WindowAdmission,
} from './shared-store.js'

export interface MemoryStoreOptions {
  /** TTLs run on its wall time, slot and window schedules on its monotonic time. */
  clock?: Clock
  /** Most cache entries kept (CACHE_MAX_ENTRIES); past it the least recently used go first. */
  maxCacheEntries?: number
}

/** The bound when none is given: about 100 MiB of cached days. */
export const DEFAULT_MAX_CACHE_ENTRIES = 100_000

interface Entry {
  value: string
  expiresAt: number
}

/** Process-local store: the embedded default for a single instance, and the fallback while Redis is down. */
export class MemoryStore implements AppStore {
  readonly kind = 'memory' as const
  /** Alone in one process, memory is the store every operation reaches: it is its own durable store. */
  readonly durable: SharedStore = this
  private readonly entries = new Map<string, Entry>()
  // Map order is the recency order: a read or write moves the entry to the end, eviction takes the first.
  private readonly cacheEntries = new Map<string, Entry & { generation: number }>()
  private readonly maxCacheEntries: number
  // Next free slot per limiter key, on the monotonic clock (wall-clock jumps must not open a burst).
  private readonly nextSlot = new Map<string, number>()
  private readonly sendLog = new Map<string, Map<string, number>>()
  // Adaptive pace records per source, on the monotonic clock; a few per process, never evicted.
  private readonly paces = new Map<string, PaceState>()
  private tickets = 0
  private readonly logs = new Map<string, { entries: LogEntry[]; lastMs: number; seq: number }>()
  private readonly indexes = new Map<string, { members: Map<string, number>; expiresAt: number }>()
  private readonly clock: Clock

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.maxCacheEntries = options.maxCacheEntries ?? DEFAULT_MAX_CACHE_ENTRIES
  }

  async get(key: string): Promise<string | null> {
    return this.live(key)?.value ?? null
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: this.clock.now() + ttlMs })
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key)
  }

  async deleteIfEquals(key: string, expected: string): Promise<boolean> {
    if (this.live(key)?.value !== expected) return false
    this.entries.delete(key)
    return true
  }

  async extendIfEquals(key: string, expected: string, ttlMs: number): Promise<boolean> {
    const entry = this.live(key)
    if (entry?.value !== expected) return false
    entry.expiresAt = this.clock.now() + ttlMs
    return true
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return false
    this.entries.set(key, { value, expiresAt: this.clock.now() + ttlMs })
    return true
  }

  async reserveSend(keys: LimiterKeys, pace: PaceSettings, maxWaitMs: number): Promise<SendReservation> {
    const now = this.clock.monotonic()
    const rate = rateInForce(this.paces.get(keys.pace), pace.ratePerSecond, now)
    const slot = Math.max(this.nextSlot.get(keys.slot) ?? 0, now)
    const waitMs = slot - now
    if (waitMs > maxWaitMs) return { granted: false, waitMs, rateInForce: rate }
    this.nextSlot.set(keys.slot, slot + pace.windowMs / rate)
    if (waitMs === 0) {
      const admission = await this.admitToWindow(keys, pace)
      if (admission.ticket) return admission
    }
    return { granted: true, waitMs, rateInForce: rate }
  }

  async slowDown(paceKey: string, pace: PaceSettings, pacedAt: number): Promise<PaceChange> {
    const now = this.clock.monotonic()
    const cut = afterRefusal(this.paces.get(paceKey), pace.ratePerSecond, pacedAt, now)
    if (cut) this.paces.set(paceKey, cut)
    return {
      cut: cut !== undefined,
      rateInForce: rateInForce(this.paces.get(paceKey), pace.ratePerSecond, now),
    }
  }

  async paceInForce(paceKey: string, pace: PaceSettings): Promise<number> {
    return rateInForce(this.paces.get(paceKey), pace.ratePerSecond, this.clock.monotonic())
  }

  async admitToWindow(keys: Pick<LimiterKeys, 'log' | 'pace'>, pace: PaceSettings): Promise<WindowAdmission> {
    const now = this.clock.monotonic()
    const rate = rateInForce(this.paces.get(keys.pace), pace.ratePerSecond, now)
    const log = this.sendLog.get(keys.log) ?? new Map<string, number>()
    this.sendLog.set(keys.log, log)
    for (const [ticket, sent] of log) if (sent <= now - pace.windowMs) log.delete(ticket)
    if (log.size < windowLimit(rate)) {
      const ticket = String(++this.tickets)
      log.set(ticket, now)
      return { granted: true, waitMs: 0, ticket, rateInForce: rate }
    }
    return { granted: false, waitMs: Math.min(...log.values()) + pace.windowMs - now, rateInForce: rate }
  }

  async confirmSend(key: string, ticket: string): Promise<void> {
    const log = this.sendLog.get(key)
    if (log?.has(ticket)) log.set(ticket, this.clock.monotonic())
  }

  async getEntries(keys: readonly string[]): Promise<(string | null)[]> {
    const now = this.clock.now()
    return keys.map((key) => {
      const entry = this.cacheEntries.get(key)
      if (!entry) return null
      this.cacheEntries.delete(key)
      if (entry.expiresAt <= now) return null
      this.cacheEntries.set(key, entry)
      return entry.value
    })
  }

  async putEntries(entries: readonly CacheEntryWrite[]): Promise<void> {
    const now = this.clock.now()
    for (const { key, value, generation, ttlMs } of entries) {
      const held = this.cacheEntries.get(key)
      if (held && held.expiresAt > now && held.generation > generation) continue
      this.cacheEntries.delete(key)
      this.cacheEntries.set(key, { value, generation, expiresAt: now + ttlMs })
    }
    for (const key of this.cacheEntries.keys()) {
      if (this.cacheEntries.size <= this.maxCacheEntries) break
      this.cacheEntries.delete(key)
    }
  }

  async logAppend(key: string, fields: Readonly<Record<string, string>>, keepMs: number): Promise<string> {
    const now = Math.floor(this.clock.now())
    const log = this.logs.get(key) ?? { entries: [], lastMs: 0, seq: 0 }
    this.logs.set(key, log)
    // Ids as Redis makes them: milliseconds, then a sequence within the same (or an earlier) millisecond.
    if (now > log.lastMs) {
      log.lastMs = now
      log.seq = 0
    } else {
      log.seq++
    }
    const id = `${log.lastMs}-${log.seq}`
    log.entries.push({ id, fields: { ...fields } })
    const oldest = now - keepMs
    while ((log.entries[0] && idMs(log.entries[0].id) < oldest) === true) log.entries.shift()
    return id
  }

  async logRead(key: string, afterId: string | null, limit: number): Promise<LogEntry[]> {
    const entries = this.logs.get(key)?.entries ?? []
    const after = afterId === null ? null : parseId(afterId)
    return entries
      .filter((entry) => after === null || compareIds(parseId(entry.id), after) > 0)
      .slice(0, limit)
      .map((entry) => ({ id: entry.id, fields: { ...entry.fields } }))
  }

  async indexAdd(key: string, member: string, score: number, ttlMs: number): Promise<void> {
    const index = this.liveIndex(key) ?? { members: new Map<string, number>(), expiresAt: 0 }
    index.members.set(member, score)
    index.expiresAt = this.clock.now() + ttlMs
    this.indexes.set(key, index)
  }

  async indexAddMany(key: string, members: readonly string[], score: number, ttlMs: number): Promise<void> {
    for (const member of members) await this.indexAdd(key, member, score, ttlMs)
  }

  async indexTrim(key: string, minScore: number): Promise<void> {
    const index = this.liveIndex(key)
    if (!index) return
    for (const [member, score] of index.members) if (score < minScore) index.members.delete(member)
  }

  async indexRange(key: string, limit: number): Promise<string[]> {
    const members = [...(this.liveIndex(key)?.members ?? new Map<string, number>())]
    // Redis orders equal scores by member, descending in ZREVRANGE: the same here.
    members.sort(([a, x], [b, y]) => y - x || (a < b ? 1 : a > b ? -1 : 0))
    return members.slice(0, limit).map(([member]) => member)
  }

  async indexRemove(key: string, member: string): Promise<void> {
    this.liveIndex(key)?.members.delete(member)
  }

  async increment(key: string, by: number, ttlMs: number): Promise<number> {
    const value = Number(this.live(key)?.value ?? 0) + by
    this.entries.set(key, { value: String(value), expiresAt: this.clock.now() + ttlMs })
    return value
  }

  async incrementUnless(key: string, unlessKey: string, by: number, ttlMs: number): Promise<number | null> {
    return this.live(unlessKey) ? null : this.increment(key, by, ttlMs)
  }

  async recordOnce({ markKey, markTtlMs, log, counter }: OnceRecord): Promise<number | null> {
    if (!(await this.setIfAbsent(markKey, '1', markTtlMs))) return null
    for (const entry of log?.entries ?? []) await this.logAppend(log?.key ?? '', entry, log?.keepMs ?? 0)
    return counter ? this.increment(counter.key, 1, counter.ttlMs) : 0
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.entries.clear()
    this.cacheEntries.clear()
    this.nextSlot.clear()
    this.sendLog.clear()
    this.indexes.clear()
    this.logs.clear()
  }

  private liveIndex(key: string) {
    const index = this.indexes.get(key)
    if (index && index.expiresAt <= this.clock.now()) {
      this.indexes.delete(key)
      return undefined
    }
    return index
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key)
    if (entry && entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key)
      return undefined
    }
    return entry
  }
}

const idMs = (id: string) => Number(id.split('-')[0])

function parseId(id: string): [number, number] {
  const [ms = '0', seq = '0'] = id.split('-')
  return [Number(ms), Number(seq)]
}

function compareIds(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1]
}
