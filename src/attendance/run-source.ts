// Runs one source's blocks concurrently (up to the source's maxConcurrency) and turns what happened into
// the source's days and its report. A failed block never fails the others; what it could not fetch is
// listed in the report's `missing`, so an answer is never silently short.
//
// Users are sorted before they are chunked, so chunk k holds only users before those of chunk k + 1: the
// days of each chunk, once all its windows are in, are handed on sorted (userId, workDate) and in chunk
// order. The caller can write them out at once (a streamed answer) instead of holding the whole answer;
// when it returns a promise (its reader is slow), no worker takes another block until it resolves.
//
// What the vendor answers is checked against what was asked: a day outside its block, or a second day for
// the same user and date, is left out and counted in the report's warnings, never passed on or dropped
// silently.
import type { FastifyBaseLogger } from 'fastify'
import type { DayResult } from '../schemas/day-result.js'
import {
  type MissingPart,
  type SourceError,
  type SourceReport,
  type SourceWarning,
  WARNING_MESSAGES,
  type WarningCode,
} from '../schemas/source-report.js'
import { formatWorkDate, parseWorkDate } from '../time/work-date.js'
import { planChunks } from './plan.js'
import type { Block, SourceAdapter } from './source.js'
import { SourceFailure } from './source-failure.js'

export interface SourceRun {
  userIds: string[]
  from: number
  to: number
  overtime: boolean
  includeRaw: boolean
  signal: AbortSignal
  deadline: number
  log: FastifyBaseLogger
  /**
   * Receives the source's days in order, one chunk of users at a time, as soon as the chunk is complete. A
   * returned promise holds the workers back (no new block starts) until it resolves: backpressure.
   */
  onDays: (days: DayResult[]) => void | Promise<void>
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
  const warnings = new Map<WarningCode, number>()
  const warn = (code: WarningCode, count = 1) => warnings.set(code, (warnings.get(code) ?? 0) + count)
  let vendorCalls = 0
  let next = 0
  // Resolves when the output can take more: workers wait for it before they take another block.
  let room: Promise<void> = Promise.resolve()

  // Hands on every complete chunk that no earlier, incomplete chunk holds back.
  const blockDone = (chunk: number) => {
    blocksLeft[chunk] = (blocksLeft[chunk] ?? 1) - 1
    while (nextChunk < chunks.length && blocksLeft[nextChunk] === 0) {
      const days = [...(chunkDays[nextChunk]?.values() ?? [])].sort(byUserAndDate)
      chunkDays[nextChunk++] = undefined
      const written = run.onDays(days)
      if (written) room = written
    }
  }

  // Keeps the block's days that belong to it, once each; counts the others.
  const accept = (block: Block, days: Map<string, DayResult>, fetched: readonly DayResult[]) => {
    const asked = new Set(block.userIds)
    for (const day of fetched) {
      const epochDay = parseWorkDate(day.workDate)
      if (!asked.has(day.userId) || epochDay === null || epochDay < block.from || epochDay > block.to) {
        warn('DAY_OUTSIDE_BLOCK')
        continue
      }
      const key = `${day.userId}\u0000${day.workDate}`
      if (days.has(key)) warn('DUPLICATE_DAY')
      else days.set(key, day)
    }
  }

  const worker = async () => {
    while (next < blocks.length) {
      await room
      if (next >= blocks.length) break
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
        accept(block, chunkDays[chunk] as Map<string, DayResult>, result.days)
        for (const warning of result.warnings ?? []) warn(warning.code, warning.count)
        for (const id of result.invalidUserIds) invalid.add(id)
        for (const id of result.unauthorizedUserIds) unauthorized.add(id)
      } catch (error) {
        if (!(error instanceof SourceFailure) && !run.signal.aborted) {
          run.log.error({ err: error, source: adapter.config.id }, 'unexpected failure fetching a block')
        }
        const classified = toSourceError(error, run.signal)
        failed.push({ block, index, error: classified })
        if (error instanceof SourceFailure && error.stopsSource) stop.abort(error)
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
    warnings: toWarnings(warnings),
  }
}

/** In the order the codes are declared, so the same answer lists them the same way every time. */
function toWarnings(counts: ReadonlyMap<WarningCode, number>): SourceWarning[] {
  return (Object.keys(WARNING_MESSAGES) as WarningCode[])
    .filter((code) => (counts.get(code) ?? 0) > 0)
    .map((code) => ({ code, message: WARNING_MESSAGES[code], count: counts.get(code) ?? 0 }))
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
  if (stopSignal.aborted && stopSignal.reason instanceof SourceFailure) {
    const { code, message, vendorCode } = stopSignal.reason
    return { code, message, vendorCode }
  }
  return toSourceError(requestSignal.reason, requestSignal)
}

function toSourceError(error: unknown, requestSignal: AbortSignal): SourceError {
  if (error instanceof SourceFailure) {
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
    VENDOR_QUOTA_EXHAUSTED: 2,
    VENDOR_BAD_REQUEST: 3,
    VENDOR_RATE_LIMITED: 4,
    VENDOR_UNAVAILABLE: 5,
    VENDOR_BAD_RESPONSE: 6,
    TIMEOUT: 7,
    CANCELLED: 8,
  }
  return errors.reduce<SourceError | null>(
    (best, error) => (!best || rank[error.code] < rank[best.code] ? error : best),
    null,
  )
}
