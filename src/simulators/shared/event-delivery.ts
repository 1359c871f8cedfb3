// How a simulator hands its change events to a receiver, whatever the mode: the delivery faults
// (`eventFaults`: a duplicate, a delay, a wrong signature), the retries of a failed delivery
// (`eventRetryDelaysMs`), and the event counters. A mode supplies only `deliver`: one attempt in its own wire format, which resolves when the
// receiver acknowledged it and throws otherwise. Nothing here ever throws into the simulator.
import { pause } from './faults.js'
import { type Check, checks } from './options.js'

/** The delivery faults, read when an event is emitted. Each key is optional; a missing one is off. */
export interface EventFaults {
  /** Deliver every event twice, with the same event id (the vendor's redelivery): fresh nonce, fresh signature. */
  duplicate: boolean
  /** Wait this long before the first delivery of each event. */
  delayMs: number
  /** Sign every delivery wrongly (a corrupted signature), as a forger would. */
  wrongSignature: boolean
}

export const NO_EVENT_FAULTS: EventFaults = { duplicate: false, delayMs: 0, wrongSignature: false }

/**
 * The default retry schedule: a failed delivery is tried once more after 200 ms. The vendors retry over
 * minutes and hours (Feishu about 5 min, 1 h, 6 h: vendor-docs/EVENTS.md); a test that needs a retry to
 * land after an outage sets a longer schedule.
 */
export const DEFAULT_EVENT_RETRY_DELAYS_MS: readonly number[] = [200]

export interface EventCounters {
  /** Deliveries made: each attempt counts, duplicates and retries included. */
  eventsSent: number
  /** Deliveries the receiver acknowledged (Feishu: a 2xx; DingTalk: a 2xx with the encrypted "success"). */
  eventsAcked: number
  /** Deliveries that failed: not 2xx, no answer, a network error, a wrong acknowledgement. */
  eventsFailed: number
  /** Failed deliveries tried again (each retry is one more eventsSent). */
  eventsRetried: number
}

const zero = (): EventCounters => ({ eventsSent: 0, eventsAcked: 0, eventsFailed: 0, eventsRetried: 0 })

/**
 * The event counters. They join the simulator's counters (and the event settings its config) once events
 * were configured or delivered, so that a simulator without events keeps the shapes it had before events.
 */
export class EventStats {
  #counters = zero()
  #visible = false

  add(name: keyof EventCounters): void {
    this.#counters[name]++
    this.#visible = true
  }

  /** From now on the counters and settings are shown, even at zero (events were configured). */
  show(): void {
    this.#visible = true
  }

  get visible(): boolean {
    return this.#visible
  }

  /** The counters to merge into the simulator's, or nothing before events were configured or delivered. */
  shown(): Partial<EventCounters> {
    return this.#visible ? { ...this.#counters } : {}
  }

  reset(): void {
    this.#counters = zero()
  }
}

export interface DeliveryAttempt {
  /** Sign this attempt wrongly (the `wrongSignature` fault). */
  wrongSignature: boolean
  /** Aborted when the simulator closes or the attempt takes longer than the mode allows. */
  signal: AbortSignal
}

/** One attempt at delivering an event: resolves when acknowledged, throws otherwise. */
export type Deliver = (attempt: DeliveryAttempt) => Promise<void>

/** What the outbox reads from the simulator's options when an event is emitted. */
export interface OutboxSettings {
  eventFaults: Partial<EventFaults>
  /** The waits before each retry of a failed delivery, in order; [] retries nothing. */
  eventRetryDelaysMs: readonly number[]
}

export class EventOutbox {
  readonly #settings: () => OutboxSettings
  readonly #stats: EventStats
  readonly #timeoutMs: number
  readonly #closing = new AbortController()
  readonly #pending = new Set<Promise<void>>()

  /** `timeoutMs`: how long the vendor waits for an acknowledgement before it counts the delivery failed. */
  constructor(settings: () => OutboxSettings, stats: EventStats, timeoutMs: number) {
    this.#settings = settings
    this.#stats = stats
    this.#timeoutMs = timeoutMs
  }

  /** Deliveries not finished yet (waiting out a delay or a retry, or in flight). */
  get pending(): number {
    return this.#pending.size
  }

  /** Delivers one event in the background, under the faults configured now. */
  send(deliver: Deliver): void {
    if (this.#closing.signal.aborted) return
    const { eventFaults, eventRetryDelaysMs } = this.#settings()
    const faults = { ...NO_EVENT_FAULTS, ...eventFaults }
    const run = this.#run(deliver, faults, [...eventRetryDelaysMs]).catch(() => {})
    this.#pending.add(run)
    void run.finally(() => this.#pending.delete(run))
  }

  async #run(deliver: Deliver, faults: EventFaults, retryDelaysMs: readonly number[]): Promise<void> {
    const closing = this.#closing.signal
    await pause(faults.delayMs, closing)
    for (let copy = 0; copy < (faults.duplicate ? 2 : 1) && !closing.aborted; copy++) {
      if (await this.#attempt(deliver, faults)) continue
      for (const delayMs of retryDelaysMs) {
        await pause(delayMs, closing)
        if (closing.aborted) return
        this.#stats.add('eventsRetried')
        if (await this.#attempt(deliver, faults)) break
      }
    }
  }

  /** One delivery; true when acknowledged. A delivery cut short by closing counts as nothing more. */
  async #attempt(deliver: Deliver, faults: EventFaults): Promise<boolean> {
    const signal = AbortSignal.any([this.#closing.signal, AbortSignal.timeout(this.#timeoutMs)])
    this.#stats.add('eventsSent')
    try {
      await deliver({ wrongSignature: faults.wrongSignature, signal })
      this.#stats.add('eventsAcked')
      return true
    } catch {
      if (!this.#closing.signal.aborted) this.#stats.add('eventsFailed')
      return false
    }
  }

  /** Drops the deliveries still waiting, aborts those in flight, and waits until they are over. */
  async close(): Promise<void> {
    this.#closing.abort()
    await Promise.all([...this.#pending])
  }
}

/** An acknowledgement that is not one: the attempt failed (the message is for debugging only). */
export class DeliveryError extends Error {
  override name = 'DeliveryError'
}

/** Turns a signature into one that no receiver accepts: its first hex digit changed. */
export function corruptSignature(signature: string): string {
  const first = signature[0] === '0' ? '1' : '0'
  return `${first}${signature.slice(1)}`
}

/** The options of the event modes, in both simulators. */
export const EVENT_OPTION_KEYS = ['events', 'eventFaults', 'eventRetryDelaysMs'] as const
export type EventOptionKey = (typeof EVENT_OPTION_KEYS)[number]

/** Whether checked options (at start or in a PATCH) configure events: then EventStats shows them. */
export function configuresEvents(options: object): boolean {
  return EVENT_OPTION_KEYS.some((key) => (options as Record<string, unknown>)[key] !== undefined)
}

/** The runtime option keys to show: the event settings only once events were configured. */
export function shownOptionKeys<K extends string>(keys: ReadonlyArray<K>, stats: EventStats): K[] {
  return keys.filter((key) => stats.visible || !(EVENT_OPTION_KEYS as ReadonlyArray<string>).includes(key))
}

export const EVENT_FAULT_CHECKS: Record<keyof EventFaults, Check> = {
  duplicate: checks.boolean,
  delayMs: checks.nonNegativeNumber,
  wrongSignature: checks.boolean,
}

const URL_PATTERN = /^https?:\/\/[^\s]+$/

export const eventChecks = {
  url: (value: unknown) =>
    typeof value === 'string' && URL_PATTERN.test(value) && URL.canParse(value)
      ? null
      : 'must be an http(s) URL',
  /**
   * An object whose keys are each checked by `fields` (all optional), then as a whole by `whole` (e.g. a
   * webhook URL needs its token).
   */
  object:
    (fields: Record<string, Check>, whole: (value: Record<string, unknown>) => string | null = () => null) =>
    (value: unknown): string | null => {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return `must be an object of ${Object.keys(fields).join(', ')}`
      const problems: string[] = []
      for (const [key, field] of Object.entries(value)) {
        if (field === undefined) continue
        const check = Object.hasOwn(fields, key) ? fields[key] : undefined
        const problem = check
          ? check(field)
          : `is not a key here (allowed: ${Object.keys(fields).join(', ')})`
        if (problem) problems.push(`${key} ${problem}`)
      }
      if (problems.length > 0) return problems.join(', ')
      return whole(value as Record<string, unknown>)
    },
}

export const eventFaultsCheck: Check = eventChecks.object(EVENT_FAULT_CHECKS)

/** At most this many retries: a schedule is a handful of waits, as the vendors' are. */
const MAX_RETRIES = 10

export const eventRetryDelaysCheck: Check = (value) =>
  Array.isArray(value) &&
  value.length <= MAX_RETRIES &&
  value.every((delay) => typeof delay === 'number' && Number.isFinite(delay) && delay >= 0)
    ? null
    : `must be an array of at most ${MAX_RETRIES} waits in ms (numbers ≥ 0)`
