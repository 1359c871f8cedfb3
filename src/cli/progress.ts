// How far an export is, on stderr: a cli-progress bar when a person watches a terminal, otherwise plain
// lines for a log (`export 3f2a9c1b…: running 42% eta 12s`). The ETA is the service's (etaSeconds, from the
// calls still planned and each source's rate limit), not one guessed from the bar's own speed: the rate
// limit, not the recent past, decides how long the rest takes.
import cliProgress from 'cli-progress'
import type { ExportJob } from '../schemas/export.js'

/** Plain lines are written when the whole percent or the status changes, and at least this often. */
export const PLAIN_LINE_EVERY_MS = 5000

export type JobProgress = Pick<ExportJob, 'id' | 'status' | 'progress' | 'etaSeconds'>

export interface ProgressReporter {
  update(job: JobProgress): void
  /** Ends the bar (idempotent); call before writing anything else to the stream. */
  stop(): void
}

/** `12s`, `2m05s`, `1h02m`: short enough for a progress line, exact enough to plan a coffee. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.ceil(seconds))
  if (total < 60) return `${total}s`
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m`
  return `${minutes}m${String(total % 60).padStart(2, '0')}s`
}

/** Enough of a job id to tell jobs apart in a log; the full id is printed once, on submission. */
export function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id
}

// Floored, so that a job at 99.6% does not read 100% while it still runs.
const wholePercent = (job: JobProgress) => Math.floor(job.progress.percent)

export function formatProgressLine(job: JobProgress): string {
  const eta = job.etaSeconds === null ? '' : ` eta ${formatDuration(job.etaSeconds)}`
  return `export ${shortId(job.id)}: ${job.status} ${wholePercent(job)}%${eta}`
}

export function createPlainReporter(
  stream: NodeJS.WritableStream,
  now: () => number = Date.now,
): ProgressReporter {
  let last: { status: string; percent: number; at: number } | undefined
  return {
    update(job) {
      const at = now()
      const changed = last === undefined || last.status !== job.status || last.percent !== wholePercent(job)
      if (!changed && at - (last?.at ?? 0) < PLAIN_LINE_EVERY_MS) return
      stream.write(`${formatProgressLine(job)}\n`)
      last = { status: job.status, percent: wholePercent(job), at }
    },
    stop() {},
  }
}

export function createBarReporter(stream: NodeJS.WritableStream): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'export {id} [{bar}] {percentage}% | {status} | eta {serverEta}',
      hideCursor: false,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  let stopped = false
  return {
    update(job) {
      if (stopped) return
      const payload = {
        id: shortId(job.id),
        status: job.status,
        serverEta: job.etaSeconds === null ? '-' : formatDuration(job.etaSeconds),
      }
      if (!started) bar.start(100, wholePercent(job), payload)
      else bar.update(wholePercent(job), payload)
      started = true
    },
    stop() {
      if (started && !stopped) bar.stop()
      stopped = true
    },
  }
}

/** The bar on a terminal, plain lines elsewhere (a pipe, a file, CI). */
export function createProgressReporter(stream: NodeJS.WriteStream): ProgressReporter {
  return stream.isTTY ? createBarReporter(stream) : createPlainReporter(stream)
}
