// `attendance export`: submit an export job, follow it on stderr, download the file and check its
// sha256, and say by the exit status whether the file is the whole answer (see exit-codes.ts).
import { extname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Command, Option } from 'commander'
import type { ExportJob } from '../schemas/export.js'
import type { Format } from '../schemas/format.js'
import { ApiClient, ApiError } from './api-client.js'
import type { ExportFields } from './api-types.js'
import { saveVerified } from './download.js'
import { CliError, EXIT } from './exit-codes.js'
import { followJob, isFinal } from './export-job.js'
import { describeIncomplete } from './incomplete-report.js'
import { watchInterrupt } from './interrupt.js'
import {
  addConnectionOptions,
  addQueryOptions,
  type ConnectionOptions,
  integerAtLeast,
  type QueryOptions,
  queryFields,
} from './options.js'
import { createProgressReporter, shortId } from './progress.js'

interface ExportOptions extends ConnectionOptions, QueryOptions {
  format?: Format
  out: string
  bom?: boolean
  allowIncomplete?: boolean
  pollInterval: number
  idempotencyKey?: string
}

// The service's formats (src/schemas/format.ts). The CLI may import only types from there, so the list is
// repeated, as the keys of a Record that the compiler checks against the service's type.
const FORMAT_KEYS: Record<Format, true> = { json: true, ndjson: true, csv: true, xlsx: true }
const FORMATS = Object.keys(FORMAT_KEYS) as Format[]

const say = (line: string) => process.stderr.write(`${line}\n`)

/** --format, else the one --out's extension names, else json. */
export function formatFor(out: string, explicit?: Format): Format {
  if (explicit) return explicit
  const extension = extname(out).slice(1).toLowerCase()
  return Object.hasOwn(FORMAT_KEYS, extension) ? (extension as Format) : 'json'
}

export function registerExportCommand(program: Command): void {
  const command = program
    .command('export')
    .summary('export attendance to a file (json, ndjson, csv or xlsx)')
    .description(
      'Submit an export job, show its progress on stderr (a bar on a terminal, plain lines otherwise), download the file to <out>.part, verify its sha256 and rename it to <out>. Ctrl-C cancels the job.',
    )
    .addHelpText(
      'after',
      `
Users: --users-file and/or --users, at least one user in all.

Exit status:
  0    the file is written, verified and complete
  1    the service refused a request or could not be reached (code: message)
  2    usage: a bad option or users file; nothing was sent
  3    the file is written and verified, but some source missed something
       (listed on stderr); --allow-incomplete exits 0 instead
  4    the export job failed or was cancelled
  5    the download did not match its sha256; it was deleted
  130  interrupted by Ctrl-C; the job was cancelled

Example:
  attendance export --from 2024-05-01 --to 2024-05-31 --users-file staff.txt --out may.xlsx`,
    )
  addQueryOptions(command)
    .addOption(
      new Option('--format <format>', 'file format (default: from --out, else json)').choices(FORMATS),
    )
    .requiredOption('--out <path>', 'where to write the file')
    .option('--bom', 'csv: start with a UTF-8 byte-order mark (for Excel)')
    .option('--allow-incomplete', 'exit 0 even when some source missed something')
    .option('--poll-interval <ms>', 'how often to ask for progress', integerAtLeast(100), 1000)
    .option('--idempotency-key <key>', 'resubmitting with the same key returns the same job')
  addConnectionOptions(command).action((options: ExportOptions) => runExport(options))
}

async function runExport(options: ExportOptions): Promise<void> {
  const fields: ExportFields = {
    ...(await queryFields(options)),
    format: formatFor(options.out, options.format),
    ...(options.bom ? { bom: true } : {}),
  }
  const client = new ApiClient(options)
  const interrupt = watchInterrupt()
  const reporter = createProgressReporter(process.stderr)
  // The latest state known: after a Ctrl-C it says whether there is a job to cancel.
  let job: ExportJob | undefined
  try {
    // Not aborted by Ctrl-C: the job may be created anyway, and only its id lets the command cancel it.
    job = await client.submitExport(fields, options.idempotencyKey)
    say(
      `export ${job.id} submitted: ${users(fields.users.length)}, ${fields.from}..${fields.to}, ${fields.format}`,
    )
    job = await followJob(client, job, {
      pollIntervalMs: options.pollInterval,
      reporter,
      signal: interrupt.signal,
    })
    reporter.stop()
    await finish(client, job, options, interrupt.signal)
  } catch (error) {
    reporter.stop()
    if (!interrupt.signal.aborted) throw error
    if (job === undefined) throw new CliError('interrupted', EXIT.interrupted)
    if (!isFinal(job)) {
      await cancel(client, job.id)
      throw new CliError('interrupted', EXIT.interrupted)
    }
    // A finished job is left alone: its file can still be fetched until it expires.
    const until = job.file ? ` until ${job.file.expiresAt}` : ''
    throw new CliError(
      `interrupted: download abandoned; export ${job.id} keeps its file${until}`,
      EXIT.interrupted,
    )
  } finally {
    interrupt.dispose()
  }
}

const users = (count: number) => `${count} user${count === 1 ? '' : 's'}`

// A lost cancel leaves the job running and spending the vendors' quota, so a passing failure (a dropped
// connection, a gateway error; the client itself already tried 429 and 503 again) is tried again for a
// while; a second Ctrl-C stops waiting (interrupt.ts).
const CANCEL_ATTEMPTS = 5
const CANCEL_RETRY_MS = 2000

async function cancel(client: ApiClient, id: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.cancelExport(id)
      say(`export ${id} cancelled`)
      return
    } catch (error) {
      const message = (error as Error).message
      if (error instanceof ApiError && error.transient && attempt < CANCEL_ATTEMPTS) {
        const waitMs = Math.min(Math.max(CANCEL_RETRY_MS, error.retryAfterMs ?? 0), 10_000)
        say(`cancelling export ${id}: ${message}; trying again in ${waitMs / 1000} s (Ctrl-C: stop trying)`)
        await sleep(waitMs)
        continue
      }
      say(`export ${id} could not be cancelled (${message}); DELETE /attendance/exports/${id} cancels it`)
      return
    }
  }
}

async function finish(
  client: ApiClient,
  job: ExportJob,
  options: ExportOptions,
  signal: AbortSignal,
): Promise<void> {
  const name = `export ${shortId(job.id)}`
  if (job.status !== 'succeeded') {
    const reason = job.error ? `${job.error.code}: ${job.error.message}` : 'no reason given'
    throw new CliError(`${name} ${job.status}: ${reason}`, EXIT.jobFailed)
  }
  if (!job.file) throw new CliError(`${name} succeeded but has no file`, EXIT.jobFailed)
  const saved = await saveVerified(await client.downloadExport(job.id, signal), options.out, job.file.sha256)
  say(`wrote ${saved.path}: ${saved.bytes} bytes, ${job.progress.days} days, sha256 ${saved.sha256} verified`)
  if (job.complete !== false) return
  say(`${name} is incomplete:`)
  for (const line of describeIncomplete(job.sources)) say(line)
  if (options.allowIncomplete) {
    say(`accepted by --allow-incomplete; the file ${saved.path} holds everything that was fetched`)
    return
  }
  throw new CliError(
    `incomplete export; the file ${saved.path} was kept (--allow-incomplete exits 0 for this)`,
    EXIT.incomplete,
  )
}
