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
  enqueue(id: string): Promise<void>
  /** Takes a job that has not started off the queue; false when it already runs or is gone. */
  removeQueued(id: string): Promise<boolean>
  /** Starts taking jobs; `onLost` hears of a job the queue gave up on (stalled too often). */
  start(processor: ExportProcessor, onLost: (id: string, reason: string) => void): void
  /** Jobs per queue state, for the metrics. */
  counts(): Promise<Record<string, number>>
  /** Stops taking jobs; running ones get `graceMs` to finish, then are stopped (and handed back). */
  close(graceMs: number): Promise<void>
}
