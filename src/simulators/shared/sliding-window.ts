// Vendors limit calls per second over a sliding window, not per calendar second: a client that sends the
// whole quota at 0.9 s and again at 1.1 s is over the limit. So the window keeps every timestamp until it
// is a full window old, which makes both the limit and the "peak calls in any second" counter exact.

/** The timestamps (monotonic ms) of the events of the last `windowMs`; an event at t counts while now − t < windowMs. */
export class SlidingWindow {
  readonly windowMs: number
  #times: number[] = []
  #head = 0

  constructor(windowMs = 1000) {
    this.windowMs = windowMs
  }

  /** How many events are in the window ending at `now`. */
  count(now: number): number {
    this.#evict(now)
    return this.#times.length - this.#head
  }

  /** Records an event at `now`; returns the number of events in the window, this one included. */
  add(now: number): number {
    this.#evict(now)
    this.#times.push(now)
    return this.#times.length - this.#head
  }

  /** Timestamp of the oldest event still in the window. */
  oldest(now: number): number | undefined {
    this.#evict(now)
    return this.#times[this.#head]
  }

  clear(): void {
    this.#times = []
    this.#head = 0
  }

  #evict(now: number): void {
    const edge = now - this.windowMs
    while (this.#head < this.#times.length && (this.#times[this.#head] ?? 0) <= edge) this.#head++
    // Compact now and then so that the array does not grow with the total number of events.
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head)
      this.#head = 0
    }
  }
}
