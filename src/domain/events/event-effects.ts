// What a vendor change event does, whichever mode brought it: once per event id across replicas (the
// vendors redeliver), the named days become misses in the shared cache at once and are listed in the
// change feed. The next query refetches them.
//
// Every effect goes to the shared store or the event fails (AppStore.durable): an event is acknowledged to
// the vendor only once its effects are in Redis, so a failure makes the vendor deliver it again. The order
// makes a retry safe even after a command that timed out but ran late in Redis (a Redis that hung): the
// tombstones first (writing them twice only refetches a day once more), then the mark and the feed entries
// in one step (recordOnce), so an event is listed once however often it comes. DingTalk's events are
// counted against its monthly event allowance in that same step (events that change no day too).

import type { SharedStore } from '../../store/shared-store.js'
import type { EventAllowance } from '../budgets/event-allowance.js'
import type { ChangeFeed } from './change-feed.js'

/** Longer than Feishu's last redelivery (about 6 h after the first push). */
export const DEDUP_TTL_MS = 8 * 3600 * 1000

export interface ChangedDay {
  userId: string
  workDate: string
}

export interface SourceEvent {
  source: string
  eventId: string
  type: string
  days: ChangedDay[]
  /** Approval ids the event names (DingTalk): the cached days carrying them are changed too. */
  approvalIds?: string[]
}

export type EventOutcome = 'applied' | 'duplicate' | 'ignored'

export interface DayInvalidator {
  invalidate(days: readonly ChangedDay[]): Promise<number>
  daysWithApproval(approvalId: string): Promise<ChangedDay[]>
}

export interface EventEffectsOptions {
  /** The shared store with no local fallback (AppStore.durable): every effect is in it, or apply throws. */
  store: SharedStore
  feed: ChangeFeed
  /** The result cache of a source, when it has one (looked up when an event comes). */
  cacheOf: (sourceId: string) => DayInvalidator | undefined
  /** The monthly allowance a source's events count against (DingTalk), when it has one. */
  allowanceOf?: (sourceId: string) => EventAllowance | undefined
  onOutcome?: (event: SourceEvent, outcome: EventOutcome) => void
}

export class EventEffects {
  constructor(private readonly options: EventEffectsOptions) {}

  /** When the source last had an event applied, on any replica (epoch ms), or null. */
  async lastEventAt(source: string): Promise<number | null> {
    const value = await this.options.store.get(lastEventKey(source)).catch(() => null)
    return value === null ? null : Number(value)
  }

  private async withApprovalDays(event: SourceEvent): Promise<SourceEvent> {
    if (!event.approvalIds?.length) return event
    const extra = await approvalDays(this.options.cacheOf(event.source), event.approvalIds)
    return { ...event, days: [...event.days, ...extra] }
  }

  async apply(event: SourceEvent): Promise<EventOutcome> {
    const outcome = await this.applyOnce(event)
    this.options.onOutcome?.(event, outcome)
    return outcome
  }

  private async applyOnce(given: SourceEvent): Promise<EventOutcome> {
    const { store, feed } = this.options
    const allowance = this.options.allowanceOf?.(given.source)
    // An event that changes nothing is still counted where the vendor counts it.
    if (given.days.length === 0 && !given.approvalIds?.length && !allowance) return 'ignored'
    if ((await store.get(dedupKey(given))) !== null) return 'duplicate'
    const event = await this.withApprovalDays(given)
    if (event.days.length > 0) await this.options.cacheOf(event.source)?.invalidate(event.days)
    const counted = await store.recordOnce({
      markKey: dedupKey(event),
      markTtlMs: DEDUP_TTL_MS,
      log: feed.entriesOf(event.source, event.days, 'event'),
      ...(allowance ? { counter: allowance.counter() } : {}),
    })
    if (counted === null) return 'duplicate'
    await allowance?.counted(counted)
    if (event.days.length === 0) return 'ignored'
    // Only what /sources shows: not worth failing an event that is applied.
    await store.set(lastEventKey(event.source), String(Date.now()), LAST_EVENT_TTL_MS).catch(() => {})
    return 'applied'
  }
}

/** How long /sources remembers the last event of a source. */
const LAST_EVENT_TTL_MS = 90 * 24 * 3600 * 1000
const lastEventKey = (source: string) => `events:last:{${source}}`
/** The days an approval event changes: those the cache knows to carry its approval ids. */
async function approvalDays(
  cache: DayInvalidator | undefined,
  ids: readonly string[],
): Promise<ChangedDay[]> {
  if (!cache) return []
  const found = await Promise.all(ids.map((id) => cache.daysWithApproval(id)))
  return found.flat()
}

const dedupKey = (event: SourceEvent) => `event:{${event.source}}:${event.eventId}`
