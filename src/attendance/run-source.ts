// Runs one source's blocks concurrently (up to the source's maxConcurrency) and turns what happened into
// the source's days and its report. A failed block never fails the others; what it could not fetch is
// listed in the report's `missing`, so an answer is never silently short.
//
// Users are sorted before they are chunked, so chunk k holds only users before those of chunk k + 1: the
// days of each chunk, once all its windows are in, are handed on sorted (userId, workDate) and in chunk
// order. The caller can write them out at once (a streamed answer) instead of holding the whole answer.
import type { FastifyBaseLogger } from 'fastify'
import type { DayResult } from '../schemas/day-result.js'
import type { MissingPart, SourceError, SourceReport } from '../schemas/source-report.js'
import { formatWorkDate } from '../time/work-date.js'
import { failsWholeSource, VendorError } from '../vendors/common/vendor-error.js'
import { planChunks } from './plan.js'
import type { Block, SourceAdapter } from './source.js'

export interface SourceRun {
  userIds: string[]
  from: number
  to: number
  overtime: boolean
  includeRaw: boolean
  signal: AbortSignal
  deadline: number
  log: FastifyBaseLogger
  /** Receives the source's days in order, one chunk of users at a time, as soon as the chunk is complete. */
  onDays: (days: DayResult[]) => void
}

export async function runSource(adapter: SourceAdapter, run: SourceRun): Promise<SourceReport> {
  // Plain code-unit order, the same on every machine and locale (the answer's order).
  const chunks = planChunks([...run.userIds].sort(), run.from, run.to, adapter.limits)
  const blocks = chunks.flatMap((windows, chunk) => windows.map((block) => ({ block, chunk })))
  // Aborted when the request goes away, or when a failure (bad credentials) would fail every block anyway.
  const stop = new AbortController()
  const signal = AbortSignal.any([run.signal, stop.signal])
  const chunkDays: (Map<string, DayResult> | undefined)[] = chunks.map(() => new Map())
  const blocksLeft = chunks.map((windows) => windows.length)
  let nextChunk = 0
  const invalid = new Set<string>()
  const unauthorized = new Set<string>()
  const failed: { block: Block; index: number; error: SourceError }[] = []
  let vendorCalls = 0
  let next = 0

  // Hands on every complete chunk that no earlier, incomplete chunk holds back.
  const blockDone = (chunk: number) => {
    blocksLeft[chunk] = (blocksLeft[chunk] ?? 1) - 1
    while (nextChunk < chunks.length && blocksLeft[nextChunk] === 0) {
      const days = [...(chunkDays[nextChunk]?.values() ?? [])].sort(byUserAndDate)
      chunkDays[nextChunk++] = undefined
      run.onDays(days)
    }
  }

  const worker = async () => {
    while (next < blocks.length) {
      const index = next++
      const { block, chunk } = blocks[index] as { block: Block; chunk: number }
      if (signal.aborted) {
        failed.push({ block, index, error: stoppedError(run.signal, stop.signal) })
        blockDone(chunk)
        continue
      }
      try {
        const result = await adapter.fetchBlock(block, {
          overtime: run.overtime,
          includeRaw: run.includeRaw,
          signal,
          deadline: run.deadline,
          countCall: () => {
            vendorCalls++
          },
          log: run.log,
        })
        const days = chunkDays[chunk] as Map<string, DayResult>
        for (const day of result.days) {
          const key = `${day.userId}\u0000${day.workDate}`
          if (!days.has(key)) days.set(key, day)
        }
        for (const id of result.invalidUserIds) invalid.add(id)
        for (const id of result.unauthorizedUserIds) unauthorized.add(id)
      } catch (error) {
        if (!(error instanceof VendorError) && !run.signal.aborted) {
          run.log.error({ err: error, source: adapter.config.id }, 'unexpected failure fetching a block')
        }
        const classified = toSourceError(error, run.signal)
        failed.push({ block, index, error: classified })
        if (error instanceof VendorError && failsWholeSource(error)) stop.abort(error)
      }
      blockDone(chunk)
    }
  }
  const workers = Math.max(1, Math.min(adapter.config.maxConcurrency, blocks.length))
  await Promise.all(Array.from({ length: workers }, worker))

  const status = failed.length === 0 ? 'ok' : failed.length === blocks.length ? 'error' : 'partial'
  // In plan order (users, then dates), whatever order the failures came in: the same answer every time.
  failed.sort((a, b) => a.index - b.index)
  return {
    source: adapter.config.id,
    vendor: adapter.config.vendor,
    status,
    vendorCalls,
    invalidUserIds: [...invalid].sort(),
    unauthorizedUserIds: [...unauthorized].sort(),
    missing: failed.map(({ block }) => toMissingPart(block)),
    error: mostTelling(failed.map(({ error }) => error)),
  }
}

/** Within one source: by userId, then workDate, in plain code-unit order. */
function byUserAndDate(a: DayResult, b: DayResult): number {
  return compare(a.userId, b.userId) || compare(a.workDate, b.workDate)
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function toMissingPart(block: Block): MissingPart {
  return { userIds: block.userIds, from: formatWorkDate(block.from), to: formatWorkDate(block.to) }
}

function stoppedError(requestSignal: AbortSignal, stopSignal: AbortSignal): SourceError {
  if (stopSignal.aborted && stopSignal.reason instanceof VendorError) {
    const { code, message, vendorCode } = stopSignal.reason
    return { code, message, vendorCode }
  }
  return toSourceError(requestSignal.reason, requestSignal)
}

function toSourceError(error: unknown, requestSignal: AbortSignal): SourceError {
  if (error instanceof VendorError) {
    return { code: error.code, message: error.message, vendorCode: error.vendorCode }
  }
  if (requestSignal.aborted) {
    const timedOut =
      requestSignal.reason instanceof DOMException && requestSignal.reason.name === 'TimeoutError'
    return timedOut
      ? {
          code: 'TIMEOUT',
          message: 'the query deadline passed before this block was fetched',
          vendorCode: null,
        }
      : { code: 'CANCELLED', message: 'the client went away before this block was fetched', vendorCode: null }
  }
  // Anything else is a bug here, not the vendor's doing; the block is still reported missing.
  return {
    code: 'VENDOR_BAD_RESPONSE',
    message: 'unexpected failure while reading the vendor answer',
    vendorCode: null,
  }
}

/** The error that explains the most: a systemic one (auth) over a passing one (timeout). */
function mostTelling(errors: SourceError[]): SourceError | null {
  const rank: Record<SourceError['code'], number> = {
    VENDOR_AUTH_FAILED: 0,
    VENDOR_PERMISSION_DENIED: 1,
    VENDOR_BAD_REQUEST: 2,
    VENDOR_RATE_LIMITED: 3,
    VENDOR_UNAVAILABLE: 4,
    VENDOR_BAD_RESPONSE: 5,
    TIMEOUT: 6,
    CANCELLED: 7,
  }
  return errors.reduce<SourceError | null>(
    (best, error) => (!best || rank[error.code] < rank[best.code] ? error : best),
    null,
  )
}
