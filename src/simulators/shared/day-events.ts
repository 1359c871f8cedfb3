// A day changed at the simulator (setDay / resetDay / resetDays, PUT and DELETE /__sim/days/…): every
// subscriber hears which (user, work date) changed, with the day as served before and after, so that each
// event mode (webhook, long connection, stream) builds the vendor's event from it. Subscribers are called
// in order before setDay returns; a subscriber that throws or rejects never reaches the caller of setDay.

export interface DayChange<Day> {
  userId: string
  /** 'YYYY-MM-DD' */
  workDate: string
  /** 'set': overridden (setDay, PUT); 'reset': the generated day is served again (resetDay(s), DELETE). */
  kind: 'set' | 'reset'
  /** The day as served before the change and from now on (each subscriber gets its own copy). */
  before: Day
  after: Day
}

export type DayListener<Day> = (change: DayChange<Day>) => void | Promise<void>

export interface DayChanges<Day> {
  /** Calls `listener` on every change from now on; returns the function that stops it. */
  subscribe(listener: DayListener<Day>): () => void
}

export class DayEvents<Day> implements DayChanges<Day> {
  readonly #listeners = new Set<DayListener<Day>>()
  readonly #onError: (error: unknown) => void

  /** `onError` hears what a subscriber threw (default: nothing, the simulator carries on). */
  constructor(onError: (error: unknown) => void = () => {}) {
    this.#onError = onError
  }

  subscribe(listener: DayListener<Day>): () => void {
    // A wrapper of its own, so the same function subscribed twice is called twice and stops separately.
    const entry: DayListener<Day> = (change) => listener(change)
    this.#listeners.add(entry)
    return () => {
      this.#listeners.delete(entry)
    }
  }

  get listenerCount(): number {
    return this.#listeners.size
  }

  emit(change: DayChange<Day>): void {
    for (const listener of [...this.#listeners]) {
      try {
        const result = listener(structuredClone(change))
        if (result instanceof Promise) result.catch(this.#onError)
      } catch (error) {
        this.#onError(error)
      }
    }
  }
}
