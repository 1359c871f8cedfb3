// The result cache of one source on the shared store (Redis for a fleet, memory for one process): entries
// looked up and written in batches, and a lease per block so that queries that need the same block at
// the same moment — on this replica or another — make one vendor call between them.
import { createHash, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Clock, systemClock } from '../../platform/time/clock.js'
import { formatWorkDate, parseWorkDate } from '../../platform/time/work-date.js'
import { workDateInZone } from '../../platform/time/zoned-time.js'
import type { DayResult } from '../../schemas/day-result.js'
import type { SharedStore } from '../../store/shared-store.js'
import type { BlockLease, CachedDay, CacheLookup, SourceDayCache } from '../attendance/day-cache.js'
import { dayKey } from '../attendance/day-cache.js'
import type { Block } from '../attendance/source.js'
import { approvalKey, entryKey, hashKey, leaseKey } from './cache-keys.js'
import { decodeEntry, encodeEntry, encodeTombstone } from './entry-codec.js'
import { entryTtlMs, type FreshnessPolicy } from './freshness.js'

export interface StoreDayCacheOptions {
  store: SharedStore
  /**
   * What an event's effects (invalidate, daysWithApproval) go through: the shared store with no local
   * fallback (AppStore.durable), so that an event is acknowledged only once they reach the fleet. Default
   * `store`. Lookups and writes of entries keep `store`: a miss or an unkept entry only costs a refetch.
   */
  durable?: SharedStore
  /** The tenant's hash tag (cache-keys.ts). */
  tag: string
  /** The source's zone: "today" and the settled days are counted in it. */
  timezone: string
  policy: FreshnessPolicy
  clock?: Clock
  /** How long a fetcher's lease lives without being renewed: a dead fetcher holds others up this long. */
  leaseTtlMs?: number
  /** How often a waiting query looks whether the fetch it waits for is over. */
  pollMs?: number
  /** Counts queries that waited for another's fetch (metrics). */
  onCoalescedWait?: () => void
  /**
   * Told of the days a fetch found different from what an earlier fetch of them returned (by content
   * hash; the change feed's `refetch`). Without it no hashes are kept.
   */
  onChanged?: (days: { userId: string; workDate: string }[]) => Promise<void> | void
  /**
   * Keep which days carry which approval ids (a DingTalk source with events: its approval events name
   * no day). Off elsewhere: it costs a write per approval id.
   */
  indexApprovals?: boolean
  /** How long a day's content hash is remembered to compare the next fetch with (the feed's retention). */
  hashTtlMs?: number
}

/** A day's content hash is kept this long by default (the change feed's default retention). */
const DEFAULT_HASH_TTL_MS = 35 * 24 * 3600 * 1000

/** What the vendor said of a day, without when it was fetched: a day or its absence. */
function contentHash(day: DayResult | undefined): string {
  if (!day) return 'none'
  const { fetchedAt: _fetchedAt, person: _person, ...content } = day
  return createHash('sha1').update(JSON.stringify(content)).digest('hex')
}

/** A tombstone outlives any fetch that could still be under way when the event came. */
const MIN_TOMBSTONE_MS = 60_000

export class StoreDayCache implements SourceDayCache {
  private readonly clock: Clock
  private readonly leaseTtlMs: number
  private readonly pollMs: number

  constructor(private readonly options: StoreDayCacheOptions) {
    this.clock = options.clock ?? systemClock
    this.leaseTtlMs = options.leaseTtlMs ?? 10_000
    this.pollMs = options.pollMs ?? 100
  }

  private get durable(): SharedStore {
    return this.options.durable ?? this.options.store
  }

  get enabled(): boolean {
    return this.options.policy.ttlSeconds > 0
  }

  now(): number {
    return this.clock.now()
  }

  async lookup(
    userIds: readonly string[],
    from: number,
    to: number,
    { overtime, maxAgeMs, includeRaw = true }: CacheLookup,
  ): Promise<Map<string, CachedDay>> {
    const found = new Map<string, CachedDay>()
    if (!this.enabled || maxAgeMs <= 0 || userIds.length === 0) return found
    const refs: { userId: string; workDate: string }[] = []
    for (const userId of userIds) {
      for (let day = from; day <= to; day++) refs.push({ userId, workDate: formatWorkDate(day) })
    }
    const keys = refs.map(({ userId, workDate }) => entryKey(this.options.tag, overtime, userId, workDate))
    // A store that fails mid-query (not only one that is away) means misses, never a failed query.
    const values = await this.options.store.getEntries(keys).catch(() => keys.map(() => null))
    const oldest = this.clock.now() - maxAgeMs
    values.forEach((value, index) => {
      const entry = value === null ? undefined : decodeEntry(value, includeRaw)
      const ref = refs[index]
      if (entry && ref && entry.fetchedAt >= oldest) found.set(dayKey(ref.userId, ref.workDate), entry)
    })
    return found
  }

  async store(
    block: Block,
    answer: { days: readonly DayResult[]; excludedUserIds: ReadonlySet<string> },
    meta: { overtime: boolean; fetchedAt: number; generation: number },
  ): Promise<void> {
    if (!this.enabled) return
    const today = parseWorkDate(workDateInZone(this.clock.now(), this.options.timezone)) as number
    const byKey = new Map(answer.days.map((day) => [dayKey(day.userId, day.workDate), day]))
    const writes = []
    for (const userId of block.userIds) {
      if (answer.excludedUserIds.has(userId)) continue
      for (let day = block.from; day <= block.to; day++) {
        const ttlMs = entryTtlMs(day, today, this.options.policy)
        if (ttlMs <= 0) continue
        const workDate = formatWorkDate(day)
        const cached: CachedDay = {
          day: byKey.get(dayKey(userId, workDate)) ?? null,
          fetchedAt: meta.fetchedAt,
        }
        writes.push({
          key: entryKey(this.options.tag, meta.overtime, userId, workDate),
          value: encodeEntry(cached, meta.generation),
          generation: meta.generation,
          ttlMs,
        })
      }
    }
    if (this.options.indexApprovals) await this.indexApprovals(answer.days, today)
    const hashes = this.options.onChanged ? await this.changedDays(block, byKey, meta) : []
    // Not kept is only a later miss; the answer does not depend on it.
    await this.options.store.putEntries([...writes, ...hashes]).catch(() => {})
  }

  async daysWithApproval(approvalId: string): Promise<{ userId: string; workDate: string }[]> {
    const members = await this.durable.indexRange(approvalKey(this.options.tag, approvalId), 10_000)
    return members.map((member) => {
      const [userId = '', workDate = ''] = member.split('\u0000')
      return { userId, workDate }
    })
  }

  /** Which days carry which approval ids, kept as long as the entries: an approval event names no day. */
  private async indexApprovals(days: readonly DayResult[], today: number): Promise<void> {
    const byApproval = new Map<string, { members: Set<string>; ttlMs: number }>()
    for (const day of days) {
      const epochDay = parseWorkDate(day.workDate)
      if (epochDay === null) continue
      const ttlMs = entryTtlMs(epochDay, today, this.options.policy)
      for (const segment of day.segments) {
        for (const check of [segment.checkIn, segment.checkOut]) {
          if (!check?.approvalId) continue
          const entry = byApproval.get(check.approvalId) ?? { members: new Set<string>(), ttlMs: 0 }
          entry.members.add(`${day.userId}\u0000${day.workDate}`)
          entry.ttlMs = Math.max(entry.ttlMs, ttlMs)
          byApproval.set(check.approvalId, entry)
        }
      }
    }
    for (const [approvalId, { members, ttlMs }] of byApproval) {
      if (ttlMs <= 0) continue
      await this.options.store
        .indexAddMany(approvalKey(this.options.tag, approvalId), [...members], this.clock.now(), ttlMs)
        .catch(() => {})
    }
  }

  /**
   * The content hash of every (user, date) of the block, compared with the hash an earlier fetch left:
   * the days whose content differs are reported (onChanged), and the new hashes returned to be written. A
   * fetch older than the hash it finds reports nothing (it may hold the older content).
   */
  private async changedDays(
    block: Block,
    byKey: ReadonlyMap<string, DayResult>,
    meta: { overtime: boolean; generation: number },
  ) {
    const { store, tag, onChanged } = this.options
    const refs: { userId: string; workDate: string; hash: string }[] = []
    for (const userId of block.userIds) {
      for (let day = block.from; day <= block.to; day++) {
        const workDate = formatWorkDate(day)
        const found = byKey.get(dayKey(userId, workDate))
        refs.push({ userId, workDate, hash: contentHash(found) })
      }
    }
    const keys = refs.map((ref) => hashKey(tag, meta.overtime, ref.userId, ref.workDate))
    const held = await store.getEntries(keys).catch(() => keys.map(() => null))
    const changed = refs.filter((ref, index) => {
      const value = held[index]
      if (!value) return false
      const bar = value.indexOf('|')
      const previous = value.slice(bar + 1)
      // An empty hash: an event invalidated the day and is in the feed already.
      return previous !== '' && Number(value.slice(0, bar)) < meta.generation && previous !== ref.hash
    })
    if (changed.length > 0) {
      await Promise.resolve(onChanged?.(changed.map(({ userId, workDate }) => ({ userId, workDate })))).catch(
        () => {},
      )
    }
    const ttlMs = this.options.hashTtlMs ?? DEFAULT_HASH_TTL_MS
    return refs.map((ref, index) => ({
      key: keys[index] as string,
      value: `${meta.generation}|${ref.hash}`,
      generation: meta.generation,
      ttlMs,
    }))
  }

  /**
   * Makes the named days misses at once, on every replica, for both the overtime and the plain variant:
   * each entry becomes a tombstone of generation now (entry-codec.ts), which no fetch that started earlier
   * can overwrite. Kept as long as a fresh entry of that day would be, and at least a minute.
   */
  async invalidate(days: readonly { userId: string; workDate: string }[]): Promise<number> {
    const generation = this.clock.now()
    const today = parseWorkDate(workDateInZone(generation, this.options.timezone)) as number
    const writes = days.flatMap(({ userId, workDate }) => {
      const day = parseWorkDate(workDate)
      if (day === null) return []
      const ttlMs = Math.max(MIN_TOMBSTONE_MS, entryTtlMs(day, today, this.options.policy))
      return [true, false].flatMap((overtime) => [
        {
          key: entryKey(this.options.tag, overtime, userId, workDate),
          value: encodeTombstone(generation),
          generation,
          ttlMs,
        },
        // The change is already in the feed as an event: the refetch it causes is not a second one.
        {
          key: hashKey(this.options.tag, overtime, userId, workDate),
          value: `${generation}|`,
          generation,
          ttlMs: this.options.hashTtlMs ?? DEFAULT_HASH_TTL_MS,
        },
      ])
    })
    await this.durable.putEntries(writes)
    return writes.length / 4
  }

  async lease(block: Block, overtime: boolean, signal: AbortSignal): Promise<BlockLease> {
    const { store, tag } = this.options
    const key = leaseKey(tag, blockId(block, overtime))
    const owner = randomUUID()
    if (await store.setIfAbsent(key, owner, this.leaseTtlMs)) {
      // Renewed while the fetch runs (pages, retries): a slow vendor must not let a second fetch start.
      const renew = setInterval(() => {
        store.extendIfEquals(key, owner, this.leaseTtlMs).catch(() => {})
      }, this.leaseTtlMs / 3)
      renew.unref()
      return {
        kind: 'owner',
        release: async () => {
          clearInterval(renew)
          await store.deleteIfEquals(key, owner).catch(() => {})
        },
      }
    }
    this.options.onCoalescedWait?.()
    // Another fetch is under way: wait for its lease to go (released, or lapsed with a dead fetcher).
    while ((await store.get(key)) !== null) {
      await sleep(this.pollMs, undefined, { signal })
    }
    return { kind: 'waited' }
  }
}

function blockId(block: Block, overtime: boolean): string {
  return createHash('sha1')
    .update(`${block.from}:${block.to}:${overtime ? 1 : 0}:${block.userIds.join(',')}`)
    .digest('hex')
}
