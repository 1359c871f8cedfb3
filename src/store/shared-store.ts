// The one seam through which replicas share state: vendor tokens, the locks that make one replica fetch a
// token for all, and the outbound rate-limit reservations. Redis implements it for a fleet; memory for one
// process. Later caches (results, call budgets) go through the same seam.

export interface SlotReservation {
  /** False when the next free slot is further away than the caller can wait; nothing was reserved. */
  granted: boolean
  /** How long to wait before using the slot (granted), or until the next free slot (refused). */
  waitMs: number
}

export interface WindowAdmission extends SlotReservation {
  /** Names the admitted send, so that confirmSend can move it to the moment it really left. */
  ticket?: string
  /** Calls a second in force for the source: the configured rate, or less after a vendor's refusals. */
  rateInForce: number
}

/** One source's outbound limit as the store applies it (see RateLimiter). */
export interface LimiterKeys {
  /** The next free slot of the schedule. */
  slot: string
  /** The send log of the sliding-window guard. */
  log: string
  /** The adaptive pace record (adaptive-pace.ts). On a cluster all three share one hash tag. */
  pace: string
}

export interface PaceSettings {
  /** The configured calls a second: the ceiling the rate in force climbs back to. */
  ratePerSecond: number
  /** The window slots are spaced over and the guard counts in (1000 ms + the safety margin). */
  windowMs: number
}

/**
 * A reservation's `ticket` is set when the slot was now and the window had room: the call was admitted in
 * the same step and may go at once; otherwise the caller waits `waitMs` and asks admitToWindow.
 */
export type SendReservation = WindowAdmission

export interface PaceChange {
  cut: boolean
  rateInForce: number
}

export interface LogEntry {
  id: string
  fields: Record<string, string>
}

export interface CacheEntryWrite {
  key: string
  value: string
  /** When the fetch that produced it started (epoch ms): the newer generation wins. */
  generation: number
  ttlMs: number
}

/** What recordOnce writes for the first record of something (a vendor event), and nothing for a repeat. */
export interface OnceRecord {
  /** Marks the record as made, for `markTtlMs`; while it exists a record with the same mark does nothing. */
  markKey: string
  markTtlMs: number
  /** Entries appended to a log (logAppend's), dropping those older than `keepMs`. */
  log?: { key: string; entries: readonly Readonly<Record<string, string>>[]; keepMs: number }
  /** A counter given one more, and `ttlMs` to live. */
  counter?: { key: string; ttlMs: number }
}

export interface SharedStore {
  readonly kind: 'redis' | 'memory'
  get(key: string): Promise<string | null>
  set(key: string, value: string, ttlMs: number): Promise<void>
  delete(key: string): Promise<void>
  /** Deletes the key only while it still holds `expected`: owner-checked lock release, token invalidation. */
  deleteIfEquals(key: string, expected: string): Promise<boolean>
  /**
   * Gives the key a new lifetime of `ttlMs` only while it still holds `expected`: a lock holder keeps its
   * lock alive while its work takes longer than planned. False when the key is gone or holds another value.
   */
  extendIfEquals(key: string, expected: string, ttlMs: number): Promise<boolean>
  /** Sets the key only if it does not exist (a lock); true when this caller set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>
  /**
   * Reserves the next send slot of a strictly spaced schedule (GCRA with no burst): slots are at least
   * windowMs / (rate in force) apart, whoever reserves them. Reservations are first come, first served, so
   * waiting callers go out in order. Refuses without reserving when the slot is more than `maxWaitMs`
   * away. When the slot is now and the window has room, it also admits the call (one round trip).
   */
  reserveSend(keys: LimiterKeys, pace: PaceSettings, maxWaitMs: number): Promise<SendReservation>
  /**
   * The vendor refused, for rate, a call paced at `pacedAt` calls a second: cuts the rate in force for
   * every replica, unless it was already cut below that rate (`cut` false: a refusal of the same burst).
   */
  slowDown(paceKey: string, pace: PaceSettings, pacedAt: number): Promise<PaceChange>
  /** The rate in force now. */
  paceInForce(paceKey: string, pace: PaceSettings): Promise<number>
  /**
   * Sliding-window log: records a send now if fewer than the rate in force (whole calls, at least one)
   * were recorded in the last `windowMs` (on the store's clock), else refuses and says when the oldest one
   * leaves the window. Decided at the moment of sending, so a caller that woke up late cannot crowd the
   * window, and one that reserved its slot before a cut is held to the cut rate.
   */
  admitToWindow(keys: Pick<LimiterKeys, 'log' | 'pace'>, pace: PaceSettings): Promise<WindowAdmission>
  /**
   * Re-stamps an admitted send with the store's clock now, as the request leaves: a caller that was slowed
   * between admission and sending by more than a few ms (a busy event loop, a socket that had to connect)
   * then holds its place in the window from when it really went out, so the next callers wait for it.
   */
  confirmSend(key: string, ticket: string): Promise<void>
  /**
   * Cache entries (the result cache): many at once, in the order asked, null where there is none. Kept
   * apart from the keys above: in memory they are bounded (least recently used go first), in Redis they
   * expire by their TTL.
   */
  getEntries(keys: readonly string[]): Promise<(string | null)[]>
  /**
   * Writes each entry unless the store holds one of a later `generation` (a fetch that started after this
   * one's, e.g. a refresh): older data never overwrites newer.
   */
  putEntries(entries: readonly CacheEntryWrite[]): Promise<void>
  /**
   * A scored index (a Redis sorted set): adds or re-scores `member` and gives the whole index `ttlMs` to
   * live. The export jobs of an API key, newest first.
   */
  indexAdd(key: string, member: string, score: number, ttlMs: number): Promise<void>
  /** indexAdd for many members at once, all with the same score. */
  indexAddMany(key: string, members: readonly string[], score: number, ttlMs: number): Promise<void>
  /** Removes the members scored below `minScore` (those last added before a moment). */
  indexTrim(key: string, minScore: number): Promise<void>
  /** The members with the highest scores first, at most `limit`. */
  indexRange(key: string, limit: number): Promise<string[]>
  indexRemove(key: string, member: string): Promise<void>
  /**
   * Appends an entry to a log (a Redis Stream: the change feed) and drops entries older than `keepMs`;
   * resolves to the entry's id, `<ms>-<seq>`, which orders the log.
   */
  logAppend(key: string, fields: Readonly<Record<string, string>>, keepMs: number): Promise<string>
  /** Entries after `afterId` (exclusive; null: from the oldest kept), oldest first, at most `limit`. */
  logRead(key: string, afterId: string | null, limit: number): Promise<LogEntry[]>
  /** Adds `by` to a counter (created at 0) and gives it `ttlMs` to live; resolves to the new value. */
  increment(key: string, by: number, ttlMs: number): Promise<number>
  /**
   * increment, unless `unlessKey` exists (then null, nothing counted): the check and the count in one step.
   * On a cluster both keys share a hash tag.
   */
  incrementUnless(key: string, unlessKey: string, by: number, ttlMs: number): Promise<number | null>
  /**
   * The mark, the log entries and the count of `record` in one step, unless the mark exists: then null and
   * nothing written. Resolves to the counter's new value (0 without a counter). Something delivered again
   * (a vendor's redelivery, or a retry after a command that timed out but ran late) is listed and counted
   * once. On a cluster all its keys share a hash tag.
   */
  recordOnce(record: OnceRecord): Promise<number | null>
  /** Resolves when the store answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>
  close(): Promise<void>
}

/**
 * The store a replica is given: the shared store, and the same operations with no local fallback. What
 * must be seen by the whole fleet or not happen at all (an acknowledged vendor event's effects, an export
 * job's record) goes through `durable`, which fails with StoreUnavailableError while the shared store is
 * away instead of writing to this process's memory. Without Redis both are the one process-local store.
 */
export interface AppStore extends SharedStore {
  readonly durable: SharedStore
}

/** The backing service did not answer; callers may fall back to local state. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`shared store unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'StoreUnavailableError'
  }
}
