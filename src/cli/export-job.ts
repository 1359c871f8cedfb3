// Following a submitted export until it is final. A poll that fails for a passing reason (the service
// unreachable, throttling, a gateway error) is tried again on the next tick: an export of a month for
// thousands of people runs for minutes, and one lost poll should not throw that work away.
import { setTimeout as sleep } from 'node:timers/promises'
import type { ExportJob, ExportStatusName } from '../schemas/export.js'
import { type ApiClient, ApiError } from './api-client.js'
import type { ProgressReporter } from './progress.js'

const FINAL: ReadonlySet<ExportStatusName> = new Set(['succeeded', 'failed', 'cancelled'])

/** Consecutive failed polls after which the command gives up (about this many poll intervals). */
export const MAX_FAILED_POLLS = 10

export const isFinal = (job: Pick<ExportJob, 'status'>) => FINAL.has(job.status)

/**
 * Polls every `pollIntervalMs` until the job is final and returns it. Rejects with the signal's reason
 * as soon as `signal` aborts (the caller then cancels the job).
 */
export async function followJob(
  client: ApiClient,
  submitted: ExportJob,
  options: { pollIntervalMs: number; reporter: ProgressReporter; signal: AbortSignal },
): Promise<ExportJob> {
  let job = submitted
  let failedPolls = 0
  options.reporter.update(job)
  while (!isFinal(job)) {
    await sleep(options.pollIntervalMs, undefined, { signal: options.signal })
    try {
      job = await client.getExport(job.id, options.signal)
      failedPolls = 0
    } catch (error) {
      options.signal.throwIfAborted()
      if (error instanceof ApiError && error.transient && ++failedPolls < MAX_FAILED_POLLS) continue
      throw error
    }
    options.signal.throwIfAborted()
    options.reporter.update(job)
  }
  return job
}
