// The port through which the domain reads and writes the result cache: one entry per (user, work date) of
// a source, holding the normalized day with its raw rows, or the fact that the vendor had no day for that
// user and date. The cache/ folder implements it on the shared store.
import type { DayResult } from '../../schemas/day-result.js'
import type { Block } from './source.js'

export interface CachedDay {
  /** The day as the vendor answered it (raw rows included, no `fetchedAt`), or null: no day that date. */
  day: DayResult | null
  /** When the vendor answered for it, epoch ms. */
  fetchedAt: number
}

export interface CacheLookup {
  /** Feishu days fetched with overtime segments are kept apart from those without. */
  overtime: boolean
  /** The oldest entry the caller accepts, in ms; 0 reads nothing. */
  maxAgeMs: number
  /** Whether the days need their vendor rows (`raw`); they are read only then. Default true. */
  includeRaw?: boolean
}

/** Another query fetches the block: `owner` fetches it itself; `waited` means the other fetch is over. */
export type BlockLease = { kind: 'owner'; release(): Promise<void> } | { kind: 'waited' }

export interface SourceDayCache {
  /** Entries found for the users over the epoch days from..to, by `dayKey(userId, workDate)`. */
  lookup(
    userIds: readonly string[],
    from: number,
    to: number,
    options: CacheLookup,
  ): Promise<Map<string, CachedDay>>
  /**
   * Keeps what a successful vendor call returned for the block: every user and date of it, with a day or
   * without; never the users the vendor called invalid or unauthorized. `generation` is when the fetch
   * started: a fetch that started earlier never overwrites it.
   */
  store(
    block: Block,
    answer: { days: readonly DayResult[]; excludedUserIds: ReadonlySet<string> },
    meta: { overtime: boolean; fetchedAt: number; generation: number },
  ): Promise<void>
  /** Waits while another query (on any replica) fetches the same block, or makes this one the fetcher. */
  lease(block: Block, overtime: boolean, signal: AbortSignal): Promise<BlockLease>
  /**
   * Makes the named days misses at once (the vendor said they changed), so that the next query fetches
   * them; a fetch that started before cannot put the old day back. Resolves to the days invalidated.
   */
  invalidate(days: readonly { userId: string; workDate: string }[]): Promise<number>
  /** The cached days whose checks carry this approval id (a DingTalk approval changed), as far as known. */
  daysWithApproval(approvalId: string): Promise<{ userId: string; workDate: string }[]>
  /** The cache's clock, epoch ms. */
  now(): number
}

export function dayKey(userId: string, workDate: string): string {
  return `${userId}\u0000${workDate}`
}
