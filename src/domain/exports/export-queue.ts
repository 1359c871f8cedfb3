// How export jobs reach a worker: BullMQ on Redis (any replica runs any job, and takes over one whose
// replica died), or a queue in this process (no REDIS_URL). Both run the same processor.

/**
 * Runs one job. `stopping` aborts when this replica shuts down; `canHandBack` says whether another
 * replica can take the job over (then the processor answers 'handed-back' and the job is queued again).
 */
export type ExportProcessor = (
  id: string,
  stopping: AbortSignal,
  canHandBack: boolean,
) => Promise<'done' | 'handed-back'>

export interface ExportQueue {
  readonly kind: 'bullmq' | 'in-process'
  /**
   * Queues job `id`. Rejects for an id the queue has already run (a new job needs a new id: BullMQ would
   * take it for the old one and never run it), and with StoreUnavailableError when Redis does not answer
   * in time: the job may then still be queued once Redis is back, and runs only if its record exists.
   */
  enqueue(id: string): Promise<void>
  /** Whether the queue has run job `id` to its end (BullMQ keeps finished ids for the records' TTL). */
  hasFinished(id: string): Promise<boolean>
  /**
   * Takes a job that has not started off the queue. True when no worker runs it or will: it was waiting,
   * or the queue has it no more (finished, or never had it); false while a worker has it.
   */
  removeQueued(id: string): Promise<boolean>
  /** Starts taking jobs; `onLost` hears of a job the queue gave up on (stalled too often). */
  start(processor: ExportProcessor, onLost: (id: string, reason: string) => void): void
  /** Jobs per queue state, for the metrics. */
  counts(): Promise<Record<string, number>>
  /** Stops taking jobs; running ones get `graceMs` to finish, then are stopped (and handed back). */
  close(graceMs: number): Promise<void>
}
