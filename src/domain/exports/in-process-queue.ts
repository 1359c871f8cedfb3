// The embedded mode's queue (no REDIS_URL): jobs wait in this process's memory and run here, at most
// `concurrency` at once. Nobody can take a job over, so a shutdown that outlasts the grace stops it.
import type { ExportProcessor, ExportQueue } from './export-queue.js'

export class InProcessExportQueue implements ExportQueue {
  readonly kind = 'in-process' as const
  private readonly waiting: string[] = []
  private readonly running = new Map<string, { stop: AbortController; done: Promise<void> }>()
  private processor: ExportProcessor | undefined
  private closing = false

  constructor(private readonly concurrency: number) {}

  async enqueue(id: string): Promise<void> {
    this.waiting.push(id)
    this.pump()
  }

  /** Finished jobs are not remembered: an id queued again simply runs again (its record decides). */
  async hasFinished(): Promise<boolean> {
    return false
  }

  async removeQueued(id: string): Promise<boolean> {
    if (this.running.has(id)) return false
    const index = this.waiting.indexOf(id)
    if (index >= 0) this.waiting.splice(index, 1)
    return true
  }

  start(processor: ExportProcessor): void {
    this.processor = processor
    this.pump()
  }

  async counts(): Promise<Record<string, number>> {
    return { waiting: this.waiting.length, active: this.running.size }
  }

  async close(graceMs: number): Promise<void> {
    this.closing = true
    this.waiting.length = 0
    const timer = setTimeout(() => {
      for (const job of this.running.values()) job.stop.abort(new Error('the service is stopping'))
    }, graceMs)
    await Promise.all([...this.running.values()].map((job) => job.done))
    clearTimeout(timer)
  }

  private pump(): void {
    const processor = this.processor
    if (!processor) return
    while (!this.closing && this.running.size < this.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift() as string
      const stop = new AbortController()
      const done = processor(id, stop.signal, false)
        .catch(() => 'done' as const)
        .then(() => {
          this.running.delete(id)
          this.pump()
        })
      this.running.set(id, { stop, done })
    }
  }
}
