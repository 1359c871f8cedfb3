// Export jobs on BullMQ: any replica's worker takes the next job, renews its lock while it runs, and a job
// whose replica died (its lock expired) is found by another worker's stalled-job check and run again
// there. BullMQ holds only the job id; the record the API shows is in the shared store (export-store.ts).
// BullMQ's connection queues commands while Redis is away (its workers need that), so what a request
// asks of the queue is bounded here: a hung Redis makes it fail with StoreUnavailableError, not wait.
import { Queue, WaitingError, Worker } from 'bullmq'
import type { RedisSettings } from '../../config/config.js'
import { createQueueConnection, type RedisClient } from '../../store/redis-connection.js'
import { StoreUnavailableError } from '../../store/shared-store.js'
import type { ExportProcessor, ExportQueue } from './export-queue.js'

const QUEUE_NAME = 'exports'
/** Runs a job may lose to dead replicas before BullMQ gives up on it (it is then failed as stopped). */
const MAX_STALLED_RUNS = 2
/** What a hand-back (moveToWait) and BullMQ's own close take once the running jobs have stopped. */
const CLOSE_MARGIN_MS = 2000
/** What a request waits for the queue: far above a Redis round trip, far below a client's patience. */
export const QUEUE_REQUEST_TIMEOUT_MS = 3000

export interface BullMqQueueOptions {
  redis: RedisSettings
  /** Key prefix, hash-tagged so that a Redis Cluster keeps the queue's keys in one slot. */
  prefix: string
  concurrency: number
  lockMs: number
  /** How long finished jobs stay in BullMQ's lists (the records keep their own TTL). */
  keepMs: number
}

export class BullMqExportQueue implements ExportQueue {
  readonly kind = 'bullmq' as const
  private readonly connection: RedisClient
  private readonly queue: Queue
  private worker: Worker | undefined
  private readonly running = new Map<string, AbortController>()

  constructor(private readonly options: BullMqQueueOptions) {
    // From the same settings as every other client; BullMQ's own connection options (createQueueConnection).
    this.connection = createQueueConnection(options.redis)
    this.queue = new Queue(QUEUE_NAME, { connection: this.connection, prefix: options.prefix })
    this.queue.on('error', () => {})
  }

  enqueue(id: string): Promise<void> {
    return withinDeadline(this.add(id), 'queueing the export job')
  }

  private async add(id: string): Promise<void> {
    // BullMQ takes a known id for the job it was (a no-op add): such a job would stay queued for ever.
    const state = await this.queue.getJobState(id)
    if (state === 'completed' || state === 'failed') {
      throw new Error(`export job id ${id} has already run: a new job needs a new id`)
    }
    const keep = { age: Math.ceil(this.options.keepMs / 1000) }
    await this.queue.add(
      'export',
      { id },
      { jobId: id, attempts: 1, removeOnComplete: keep, removeOnFail: keep },
    )
  }

  async hasFinished(id: string): Promise<boolean> {
    const state = await withinDeadline(this.queue.getJobState(id), 'reading the export job’s state')
    return state === 'completed' || state === 'failed'
  }

  removeQueued(id: string): Promise<boolean> {
    return withinDeadline(this.remove(id), 'taking the export job off the queue')
  }

  private async remove(id: string): Promise<boolean> {
    const job = await this.queue.getJob(id)
    // Gone from the queue, or finished: no worker will write the job's end.
    if (!job) return true
    const state = await job.getState()
    if (state === 'completed' || state === 'failed' || state === 'unknown') return true
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false
    try {
      await job.remove()
      return true
    } catch {
      // Taken by a worker between the two calls: it runs now, and the cancel flag stops it.
      return false
    }
  }

  start(processor: ExportProcessor, onLost: (id: string, reason: string) => void): void {
    this.worker = new Worker(
      QUEUE_NAME,
      async (job, token) => {
        const stop = new AbortController()
        const id = String(job.data.id)
        this.running.set(id, stop)
        try {
          const outcome = await processor(id, stop.signal, true)
          if (outcome === 'handed-back') {
            // Back to the waiting list for another replica, without counting as a failure.
            await job.moveToWait(token)
            throw new WaitingError()
          }
        } finally {
          this.running.delete(id)
        }
      },
      {
        connection: this.connection,
        prefix: this.options.prefix,
        concurrency: this.options.concurrency,
        lockDuration: this.options.lockMs,
        stalledInterval: this.options.lockMs,
        maxStalledCount: MAX_STALLED_RUNS,
      },
    )
    this.worker.on('error', () => {})
    this.worker.on('failed', (job, error) => {
      if (job) onLost(String(job.data.id), error.message)
    })
  }

  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed')
  }

  async close(graceMs: number): Promise<void> {
    const timer = setTimeout(() => {
      for (const stop of this.running.values()) stop.abort(new Error('the service is stopping'))
    }, graceMs)
    // A graceful close waits for Redis (hand-backs, lock releases); with Redis away it would wait for good,
    // so then the worker is closed by force and a job it held is taken over once its lock expires.
    const force = this.connection.status !== 'ready'
    let giveUp: NodeJS.Timeout | undefined
    const deadline = new Promise<void>((resolve) => {
      giveUp = setTimeout(resolve, graceMs + CLOSE_MARGIN_MS)
    })
    try {
      await Promise.race([this.worker?.close(force).catch(() => {}), deadline])
      await Promise.race([this.queue.close().catch(() => {}), deadline])
    } finally {
      clearTimeout(timer)
      clearTimeout(giveUp)
      if (this.connection.status === 'ready') await this.connection.quit().catch(() => {})
      this.connection.disconnect()
    }
  }
}

/** `work`, or StoreUnavailableError once it has taken QUEUE_REQUEST_TIMEOUT_MS (it may still happen later). */
async function withinDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new StoreUnavailableError(`${what}: no answer from Redis in ${QUEUE_REQUEST_TIMEOUT_MS} ms`)),
      QUEUE_REQUEST_TIMEOUT_MS,
    )
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}
