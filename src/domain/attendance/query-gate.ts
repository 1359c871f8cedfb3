// A bound on the queries one source runs at once in this replica, with a bounded queue behind it. Every
// running query can have maxConcurrency vendor calls in flight; without a bound, a burst of queries would
// each wait at the shared rate limit for minutes while holding memory, and the last ones would time out
// having done nothing. Beyond the queue the query is refused at once (503), before any answer is sent.

export interface GatePlace {
  /** Resolves when the query may run; rejects with the signal's reason if the caller leaves first. */
  turn(signal: AbortSignal): Promise<void>
  /** Gives the place back (the next queued query runs); safe to call more than once. */
  leave(): void
}

interface Place extends GatePlace {
  state: 'waiting' | 'running' | 'gone'
  start(): void
}

export class QueryGate {
  private running = 0
  private readonly queue: Place[] = []

  constructor(
    readonly maxRunning: number,
    readonly maxQueued: number,
  ) {}

  get load(): { running: number; queued: number } {
    return { running: this.running, queued: this.queue.length }
  }

  /** A place to run now or later, or null when the queue is full. */
  enter(): GatePlace | null {
    if (this.running < this.maxRunning) {
      this.running++
      return this.place('running')
    }
    if (this.queue.length >= this.maxQueued) return null
    const place = this.place('waiting')
    this.queue.push(place)
    return place
  }

  private place(initial: Place['state']): Place {
    let started: () => void = () => {}
    const whenStarted = new Promise<void>((resolve) => {
      started = resolve
    })
    const place: Place = {
      state: initial,
      start: () => {
        place.state = 'running'
        started()
      },
      turn: (signal) => {
        if (place.state === 'running') return Promise.resolve()
        return new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(signal.reason)
          if (signal.aborted) return onAbort()
          signal.addEventListener('abort', onAbort, { once: true })
          void whenStarted.then(() => {
            signal.removeEventListener('abort', onAbort)
            resolve()
          })
        })
      },
      leave: () => {
        if (place.state === 'gone') return
        const wasRunning = place.state === 'running'
        place.state = 'gone'
        if (!wasRunning) {
          // Left before its turn: out of the queue, with no running place to hand on.
          this.queue.splice(this.queue.indexOf(place), 1)
          return
        }
        const next = this.queue.shift()
        if (next) next.start()
        else this.running--
      },
    }
    if (initial === 'running') started()
    return place
  }
}
