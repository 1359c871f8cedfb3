// The change feed: which (source, user, work date) changed and why, oldest first, so that a payroll system
// pulls those days again instead of the whole month. One log per source in the shared store (a Redis
// Stream), trimmed to CHANGES_RETENTION_DAYS; the cursor is the last entry's id, and a cursor older than
// the retention cannot be continued (the caller pulls in full). Entries are written to the shared store
// or not at all (AppStore.durable): an entry kept in one replica's memory while Redis is away would be
// a feed the fleet never sees, and a cursor that skips what Redis holds.
import type { AppStore, OnceRecord } from '../../store/shared-store.js'

export type ChangeReason = 'event' | 'refetch'

export interface Change {
  source: string
  userId: string
  workDate: string
  reason: ChangeReason
  /** When the change was recorded, RFC 3339 (UTC). */
  at: string
}

export const CURSOR_PATTERN = '^\\d{1,15}-\\d{1,10}$'
const CURSOR = new RegExp(CURSOR_PATTERN)

export class CursorExpiredError extends Error {
  constructor(readonly cursor: string) {
    super(`cursor ${cursor} is older than the change feed keeps`)
    this.name = 'CursorExpiredError'
  }
}

export class ChangeFeed {
  readonly keepMs: number

  constructor(
    private readonly store: AppStore,
    retentionDays: number,
    private readonly now: () => number = Date.now,
  ) {
    this.keepMs = retentionDays * 24 * 3600 * 1000
  }

  /** Appends the days to the feed; throws StoreUnavailableError while the shared store is away. */
  async record(source: string, days: readonly { userId: string; workDate: string }[], reason: ChangeReason) {
    for (const { userId, workDate } of days) {
      await this.store.durable.logAppend(feedKey(source), { userId, workDate, reason }, this.keepMs)
    }
  }

  /** The days as the log part of a store record (an event's entries, written with its mark). */
  entriesOf(
    source: string,
    days: readonly { userId: string; workDate: string }[],
    reason: ChangeReason,
  ): NonNullable<OnceRecord['log']> {
    return {
      key: feedKey(source),
      entries: days.map(({ userId, workDate }) => ({ userId, workDate, reason })),
      keepMs: this.keepMs,
    }
  }

  /**
   * The changes after `since` (none: from the oldest kept), at most `limit`, and the cursor to continue
   * from (the same cursor when there was nothing new, so a poller keeps it).
   */
  async read(
    source: string,
    since: string | undefined,
    limit: number,
  ): Promise<{ changes: Change[]; next: string }> {
    if (since !== undefined) {
      if (!CURSOR.test(since)) throw new TypeError('since must be a cursor from an earlier answer')
      // 0-0 (what an empty feed hands out) means from the start.
      const sinceMs = Number(since.split('-')[0])
      if (sinceMs > 0 && sinceMs < this.now() - this.keepMs) throw new CursorExpiredError(since)
    }
    const entries = await this.store.logRead(feedKey(source), since ?? null, limit)
    const changes = entries.map(({ id, fields }) => ({
      source,
      userId: fields.userId ?? '',
      workDate: fields.workDate ?? '',
      reason: (fields.reason === 'refetch' ? 'refetch' : 'event') as ChangeReason,
      at: new Date(Number(id.split('-')[0])).toISOString(),
    }))
    return { changes, next: entries.at(-1)?.id ?? since ?? '0-0' }
  }
}

// Per source, hash-tagged: a cluster keeps each source's log in one slot.
const feedKey = (source: string) => `changes:{${source}}`
