// Following a submitted export until it is final. A poll that fails for a passing reason (the service
// unreachable, shedding load, throttling, a gateway error) is tried again: an export of a month for
// thousands of people runs for minutes, and the job goes on on the service whatever happens to one poll.
// The command gives up only after GIVE_UP_AFTER_MS without an answer, and then says how to find the job.
import { setTimeout as sleep } from 'node:timers/promises'
import type { ExportJob, ExportStatusName } from '../schemas/export.js'
import { type ApiClient, ApiError } from './api-client.js'
import { CliError, EXIT } from './exit-codes.js'
import type { ProgressReporter } from './progress.js'

const FINAL: ReadonlySet<ExportStatusName> = new Set(['succeeded', 'failed', 'cancelled'])

/** How long polls may keep failing before the command stops following the job. */
export const GIVE_UP_AFTER_MS = 120_000

export const isFinal = (job: Pick<ExportJob, 'status'>) => FINAL.has(job.status)

export interface FollowOptions {
  pollIntervalMs: number
  reporter: ProgressReporter
  /** Aborted by Ctrl-C: followJob then rejects at once, and the caller cancels the job. */
  signal: AbortSignal
  giveUpAfterMs?: number
  now?: () => number
}

/** Polls every `pollIntervalMs` (or the service's Retry-After) until the job is final, and returns it. */
export async function followJob(client: ApiClient, submitted: ExportJob, options: FollowOptions) {
  const { signal, reporter, giveUpAfterMs = GIVE_UP_AFTER_MS, now = Date.now } = options
  let job = submitted
  let lastAnswer = now()
  let waitMs = options.pollIntervalMs
  reporter.update(job)
  while (!isFinal(job)) {
    await sleep(waitMs, undefined, { signal })
    waitMs = options.pollIntervalMs
    try {
      job = await client.getExport(job.id, signal)
      lastAnswer = now()
    } catch (error) {
      signal.throwIfAborted()
      if (!(error instanceof ApiError) || !error.transient) throw error
      if (now() - lastAnswer >= giveUpAfterMs)
        throw new CliError(
          `lost track of export ${job.id} (${error.message}); it goes on on the service: GET /attendance/exports/${job.id}`,
          EXIT.http,
        )
      waitMs = Math.max(waitMs, error.retryAfterMs ?? 0)
      continue
    }
    reporter.update(job)
  }
  return job
}
