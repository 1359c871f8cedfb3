// What a vendor change event does, whichever mode brought it: once per event id across replicas (the
// vendors redeliver), the named days become misses in the shared cache at once and are listed in the
// change feed. The next query refetches them.
import type { SharedStore } from '../store/shared-store.js'
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
  store: SharedStore
  feed: ChangeFeed
  /** The result cache of a source, when it has one (looked up when an event comes). */
  cacheOf: (sourceId: string) => DayInvalidator | undefined
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
    const event = await this.withApprovalDays(given)
    if (event.days.length === 0) return 'ignored'
    const first = await this.options.store.setIfAbsent(dedupKey(event), '1', DEDUP_TTL_MS)
    if (!first) return 'duplicate'
    try {
      await this.options.cacheOf(event.source)?.invalidate(event.days)
      await this.options.feed.record(event.source, event.days, 'event')
    } catch (error) {
      // Not applied: forget the id, so that the vendor's redelivery applies it.
      await this.options.store.delete(dedupKey(event)).catch(() => {})
      throw error
    }
    await this.options.store
      .set(lastEventKey(event.source), String(Date.now()), LAST_EVENT_TTL_MS)
      .catch(() => {})
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
