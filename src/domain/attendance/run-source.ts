// Runs one source's part of a query and turns what happened into the source's days and its report.
//
// Users are sorted and taken a unit at a time (ten calls' worth). For each unit the cache is read first,
// the missing user-days are planned into the fewest blocks (source-plan.ts), and the blocks run concurrently
// (up to the source's maxConcurrency) across units. A unit's days are handed on, sorted by (userId,
// workDate), as soon as all its blocks are done and every earlier unit is out: the caller can write them at
// once (a streamed answer). When it returns a promise (its reader is slow), no worker takes another block
// until it resolves. Done units wait in memory for the earlier ones, so workers never take more than one
// block per worker beyond the next unit to hand on: a slow block holds back that many, not the rest.
//
// A failed block never fails the others: what could not be had is listed in `missing`, so an answer is
// never silently short. What the vendor answers is checked against what was asked: a day outside its
// block, or a second day for the same user and date, is left out and counted in the report's warnings.
import type { FastifyBaseLogger } from 'fastify'
import { formatWorkDate, parseWorkDate } from '../../platform/time/work-date.js'
import { formatInZone } from '../../platform/time/zoned-time.js'
import type { DayResult } from '../../schemas/day-result.js'
import {
  type MissingPart,
  type SourceError,
  type SourceReport,
  type SourceWarning,
  WARNING_MESSAGES,
  type WarningCode,
} from '../../schemas/source-report.js'
import { type CachedDay, dayKey, type SourceDayCache } from './day-cache.js'
import type { Block, SourceAdapter } from './source.js'
import type { SourceBudget } from './source-budget.js'
import { SourceFailure } from './source-failure.js'
import { planUsers } from './source-plan.js'
import { callsFor, previewSource } from './source-preview.js'

export interface SourceRun {
  userIds: string[]
  from: number
  to: number
  overtime: boolean
  includeRaw: boolean
  signal: AbortSignal
  deadline: number
  log: FastifyBaseLogger
  /** The source's result cache; without one every user-day is fetched. */
  cache?: SourceDayCache
  /** The oldest entry accepted, in seconds (`maxAge`); 0 reads nothing; undefined: any entry still kept. */
  maxAgeSeconds?: number
  /** First epoch day the vendor still serves (its retention); earlier days are reported missing. */
  oldestDay?: number
  /** What the source may still spend this month; without one, calls are not budgeted. */
  budget?: SourceBudget
  /** Calls' worth of users planned and handed on together (default: 4 with a cache, else 1). */
  unitCalls?: number
  /**
   * Receives the source's days in order, a unit of users at a time, as soon as the unit is complete. A
   * returned promise holds the workers back (no new block starts) until it resolves: backpressure.
   */
  onDays: (days: DayResult[]) => void | Promise<void>
  /** Told of each data call as it is made (an export job's progress). */
  onVendorCall?: () => void
  /** Told of the calls other queries made for this one's days (an export job's progress). */
  sharedCalls?: SharedCalls
}

/**
 * Calls this query did not make because another query fetched the same days meanwhile (the cache's lease
 * makes one fetch of a block serve every query that wants it): a block it waited for and then found in
 * the cache, and the calls a unit's plan no longer needs because days it lacked at `since` (when the
 * job's plan was made) were fetched since. Counted as the calls the blocks take, as a preview counts them.
 * Without this a job whose days another query was fetching showed no progress until it ended.
 */
export interface SharedCalls {
  since: number
  count: (calls: number) => void
}

/**
 * Users per unit, in calls' worth. With a cache, four calls' worth are planned together so that users with
 * the same missing days share calls; without one every user misses the same days and one call's worth is
 * enough (and holds the least in memory behind a slow reader).
 */
const UNIT_CALLS_CACHED = 4

interface Unit {
  userIds: string[]
  blocks: Block[]
  blocksLeft: number
  /** Entries found in the cache (at planning, or after waiting for another query's fetch). */
  cached: Map<string, CachedDay>
  /** Days this query fetched, by dayKey. */
  fetched: Map<string, CachedDay>
  /** Users whose days before the retention limit cannot be had. */
  tooOld: Map<string, { from: number; to: number }>
  failed: { block: Block; error: SourceError }[]
}

/** Users planned together: what the query and its preview must agree on. */
export function unitSizeOf(adapter: SourceAdapter, cached: boolean, unitCalls?: number): number {
  return adapter.limits.maxUsersPerCall * (unitCalls ?? (cached ? UNIT_CALLS_CACHED : 1))
}

export async function runSource(adapter: SourceAdapter, run: SourceRun): Promise<SourceReport> {
  // Plain code-unit order, the same on every machine and locale (the answer's order).
  const userIds = [...run.userIds].sort()
  const unitSize = unitSizeOf(adapter, run.cache !== undefined, run.unitCalls)
  const unitCount = Math.ceil(userIds.length / unitSize)
  const cache = run.cache
  const maxAgeMs = run.maxAgeSeconds === undefined ? Number.POSITIVE_INFINITY : run.maxAgeSeconds * 1000
  const lookupOptions = { overtime: run.overtime, maxAgeMs, includeRaw: run.includeRaw }
  // Raw rows are always kept when caching, so that a later includeRaw query is served from the cache too.
  const fetchRaw = run.includeRaw || cache !== undefined
  // Aborted when the request goes away, or when a failure (bad credentials) would fail every block anyway.
  const stop = new AbortController()
  const signal = AbortSignal.any([run.signal, stop.signal])
  const units: (Unit | undefined)[] = []
  const invalid = new Set<string>()
  const unauthorized = new Set<string>()
  const errors: SourceError[] = []
  const missing: MissingPart[] = []
  const warnings = new Map<WarningCode, number>()
  const warn = (code: WarningCode, count = 1) => warnings.set(code, (warnings.get(code) ?? 0) + count)
  let vendorCalls = 0
  let hits = 0
  let answered = 0
  // Resolves when the output can take more: workers wait for it before they take another block.
  let room: Promise<void> = Promise.resolve()
  const workers = Math.max(1, adapter.config.maxConcurrency)
  // Blocks taken from units after the one to hand on next: the done ones wait in memory until every
  // earlier unit is out. A slow block (retries, pages) must not let the others run ahead of it without
  // bound: past one such block per worker, a worker waits for the units before to go out.
  const ahead = new BlocksAhead()

  // A plan the budget cannot pay for makes no call at all (the blocks are listed missing; cached days are
  // still served). Pages known only as they come are stopped call by call on the vendor path.
  const refusal = run.budget ? await budgetRefusal(adapter, run, unitSize, lookupOptions) : undefined
  if (refusal) stop.abort(refusal)
  const shared = run.sharedCalls ? await sharedCallCounter(adapter, run, run.sharedCalls) : undefined

  // Units are planned as the workers reach them (one lookup at a time), so memory holds a few units.
  let planned = 0
  let planning: Promise<void> | undefined
  const planUnit = async (index: number) => {
    const users = userIds.slice(index * unitSize, (index + 1) * unitSize)
    const cached = cache ? await cache.lookup(users, run.from, run.to, lookupOptions) : new Map()
    const plan = planUsers(
      users,
      run.from,
      run.to,
      adapter.limits,
      (userId, day) => cached.get(dayKey(userId, formatWorkDate(day))) !== undefined,
      run.oldestDay,
    )
    shared?.unitPlanned(users, cached, plan.blocks)
    hits += plan.cached
    units[index] = {
      userIds: users,
      blocks: plan.blocks,
      blocksLeft: plan.blocks.length,
      cached,
      fetched: new Map(),
      tooOld: plan.tooOld,
      failed: [],
    }
    planned = index + 1
    if (plan.blocks.length === 0) unitDone()
  }
  // One unit is planned at a time; workers that need the next one meanwhile wait for the same promise.
  const planNext = (): Promise<void> => {
    planning ??= planUnit(planned).finally(() => {
      planning = undefined
    })
    return planning
  }

  // Hands on every complete unit that no earlier, incomplete unit holds back.
  let nextOut = 0
  const unitDone = () => {
    const before = nextOut
    for (let unit = units[nextOut]; unit && unit.blocksLeft === 0; unit = units[nextOut]) {
      units[nextOut++] = undefined
      ahead.headIs(nextOut)
      const written = run.onDays(finish(unit))
      if (written) room = written
    }
    if (nextOut > before) ahead.moved()
  }

  // The unit's answer: its days in order, and what it could not have listed as missing.
  const finish = (unit: Unit): DayResult[] => {
    const days: DayResult[] = []
    const notAnswered = new Map<string, number[]>()
    for (const userId of unit.userIds) {
      for (let day = run.from; day <= run.to; day++) {
        const key = dayKey(userId, formatWorkDate(day))
        const entry = unit.fetched.get(key) ?? unit.cached.get(key)
        if (entry) {
          answered++
          if (entry.day) days.push(present(entry))
        } else {
          const list = notAnswered.get(userId) ?? []
          list.push(day)
          notAnswered.set(userId, list)
        }
      }
    }
    // Users whose too-old days are the same range share one part.
    const tooOld = new Map<string, MissingPart>()
    for (const [userId, range] of unit.tooOld) {
      const key = `${range.from}:${range.to}`
      const known = tooOld.get(key)
      if (known) known.userIds.push(userId)
      else tooOld.set(key, part([userId], range.from, range.to))
    }
    missing.push(...tooOld.values())
    if (unit.tooOld.size > 0) errors.push(retentionError(adapter, run.oldestDay as number))
    for (const { block, error } of unit.failed) {
      errors.push(error)
      missing.push(...missingOf(block, notAnswered))
    }
    return days
  }

  const present = ({ day, fetchedAt }: CachedDay): DayResult => {
    const shown = { ...(day as DayResult), fetchedAt: formatInZone(fetchedAt, adapter.config.timezone) }
    if (!run.includeRaw) delete shown.raw
    return shown
  }

  // Keeps the block's days that belong to it, once each; counts the others.
  const accept = (block: Block, unit: Unit, fetched: readonly DayResult[], fetchedAt: number) => {
    const asked = new Set(block.userIds)
    const kept: DayResult[] = []
    const seen = new Set<string>()
    for (const day of fetched) {
      const epochDay = parseWorkDate(day.workDate)
      if (!asked.has(day.userId) || epochDay === null || epochDay < block.from || epochDay > block.to) {
        warn('DAY_OUTSIDE_BLOCK')
        continue
      }
      const key = dayKey(day.userId, day.workDate)
      if (seen.has(key)) {
        warn('DUPLICATE_DAY')
        continue
      }
      seen.add(key)
      kept.push(day)
    }
    // Every user and date of the block is now answered: with a day, or without one (none that day).
    const excluded = new Set<string>()
    for (const id of invalid) if (asked.has(id)) excluded.add(id)
    for (const id of unauthorized) if (asked.has(id)) excluded.add(id)
    const byKey = new Map(kept.map((day) => [dayKey(day.userId, day.workDate), day]))
    for (const userId of block.userIds) {
      if (excluded.has(userId)) continue
      for (let day = block.from; day <= block.to; day++) {
        const key = dayKey(userId, formatWorkDate(day))
        unit.fetched.set(key, { day: byKey.get(key) ?? null, fetchedAt })
      }
    }
    return { kept, excluded }
  }

  const fetchBlock = async (block: Block, unit: Unit) => {
    const generation = cache ? cache.now() : Date.now()
    const result = await adapter.fetchBlock(block, {
      overtime: run.overtime,
      includeRaw: fetchRaw,
      signal,
      deadline: run.deadline,
      countCall: () => {
        vendorCalls++
        run.onVendorCall?.()
      },
      log: run.log,
    })
    for (const warning of result.warnings ?? []) warn(warning.code, warning.count)
    if (result.rows !== undefined) {
      await run.budget
        ?.recordRows(result.rows, block.userIds.length * (block.to - block.from + 1))
        .catch(() => {})
    }
    for (const id of result.invalidUserIds) invalid.add(id)
    for (const id of result.unauthorizedUserIds) unauthorized.add(id)
    const fetchedAt = cache ? cache.now() : Date.now()
    const { kept, excluded } = accept(block, unit, result.days, fetchedAt)
    await cache?.store(
      block,
      { days: kept, excludedUserIds: excluded },
      { overtime: run.overtime, fetchedAt, generation },
    )
  }

  /**
   * While another query fetches the same block, wait for it and take its entries. If they are not all
   * there when it is over (it failed, or its users were invalid), fetch the block here.
   */
  const runBlock = async (block: Block, unit: Unit) => {
    if (!cache || maxAgeMs <= 0) return fetchBlock(block, unit)
    // Whether another query has put every entry of the block in the cache since this one planned it.
    const takeFromCache = async () => {
      const found = await cache.lookup(block.userIds, block.from, block.to, lookupOptions)
      if (found.size < block.userIds.length * (block.to - block.from + 1)) return false
      for (const [key, entry] of found) {
        if (!unit.cached.has(key)) hits++
        unit.cached.set(key, entry)
      }
      shared?.blockTaken(block)
      return true
    }
    let lease = await cache.lease(block, run.overtime, signal)
    if (lease.kind === 'waited') {
      if (await takeFromCache()) return
      lease = await cache.lease(block, run.overtime, signal)
    }
    // Owner now, but another replica may have fetched and released the block in the meantime.
    if (lease.kind === 'owner' && (await takeFromCache())) {
      await lease.release()
      return
    }
    try {
      await fetchBlock(block, unit)
    } finally {
      if (lease.kind === 'owner') await lease.release()
    }
  }

  let unitIndex = 0
  let blockIndex = 0
  /** The next block to fetch, planning units as needed; undefined when there is none left. */
  const takeBlock = async (): Promise<{ block: Block; unit: Unit } | undefined> => {
    for (;;) {
      while (unitIndex >= planned && planned < unitCount) await planNext()
      const unit = units[unitIndex]
      if (unitIndex >= unitCount) return undefined
      if (unit && blockIndex < unit.blocks.length) {
        if (unitIndex > nextOut && ahead.taken >= workers) {
          await ahead.headMoved.promise
          continue
        }
        ahead.take(unitIndex)
        return { block: unit.blocks[blockIndex++] as Block, unit }
      }
      unitIndex++
      blockIndex = 0
    }
  }

  const worker = async () => {
    for (;;) {
      await room
      const work = await takeBlock()
      if (!work) return
      const { block, unit } = work
      if (signal.aborted) {
        unit.failed.push({ block, error: stoppedError(run.signal, stop.signal) })
      } else {
        try {
          await runBlock(block, unit)
        } catch (error) {
          if (!(error instanceof SourceFailure) && !run.signal.aborted) {
            run.log.error({ err: error, source: adapter.config.id }, 'unexpected failure fetching a block')
          }
          unit.failed.push({ block, error: toSourceError(error, run.signal) })
          if (error instanceof SourceFailure && error.stopsSource) stop.abort(error)
        }
      }
      unit.blocksLeft--
      unitDone()
    }
  }
  await Promise.all(Array.from({ length: workers }, worker))

  const userDays = userIds.length * (run.to - run.from + 1)
  const status = missing.length === 0 ? 'ok' : answered === 0 ? 'error' : 'partial'
  return {
    source: adapter.config.id,
    vendor: adapter.config.vendor,
    status,
    vendorCalls,
    invalidUserIds: [...invalid].sort(),
    unauthorizedUserIds: [...unauthorized].sort(),
    // In plan order (users, then dates), whatever order the failures came in: the same answer every time.
    missing: missing.sort(byUsersThenDates),
    error: mostTelling(errors),
    warnings: toWarnings(warnings),
    cache: { hits, misses: userDays - hits },
  }
}

/** Counts a run's shared calls (SharedCalls) as its units are planned and its blocks taken from the cache. */
async function sharedCallCounter(adapter: SourceAdapter, run: SourceRun, sharedCalls: SharedCalls) {
  // As the preview reckons DingTalk's pages.
  const rowsPerUserDay = run.budget ? await run.budget.rowsPerUserDay().catch(() => 2) : 2
  const calls = (blocks: readonly Block[]) =>
    blocks.reduce((sum, block) => sum + callsFor(block, adapter.limits, rowsPerUserDay), 0)
  return {
    /** The unit's plan against the plan it would have had with only what was cached at `since`. */
    unitPlanned(users: string[], cached: ReadonlyMap<string, CachedDay>, blocks: readonly Block[]) {
      const atSince = planUsers(
        users,
        run.from,
        run.to,
        adapter.limits,
        (userId, day) =>
          (cached.get(dayKey(userId, formatWorkDate(day)))?.fetchedAt ?? Infinity) < sharedCalls.since,
        run.oldestDay,
      )
      const saved = calls(atSince.blocks) - calls(blocks)
      if (saved > 0) sharedCalls.count(saved)
    },
    blockTaken(block: Block) {
      sharedCalls.count(calls([block]))
    },
  }
}

/** The blocks taken from units after the next one to hand on, and a promise of that unit going out. */
class BlocksAhead {
  taken = 0
  headMoved = deferred()
  private head = 0
  private readonly takenOf: number[] = []

  /** A block of unit `index` is taken. */
  take(index: number): void {
    this.takenOf[index] = (this.takenOf[index] ?? 0) + 1
    if (index > this.head) this.taken++
  }

  /** Unit `index` is now the next to hand on: its blocks are no longer ahead. */
  headIs(index: number): void {
    this.head = index
    this.taken -= this.takenOf[index] ?? 0
  }

  /** Wakes the workers that waited for the head to move. */
  moved(): void {
    const moved = this.headMoved
    this.headMoved = deferred()
    moved.resolve()
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {}
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

/** Why the source may make no call for this query, or undefined when its plan fits what is left. */
async function budgetRefusal(
  adapter: SourceAdapter,
  run: SourceRun,
  unitSize: number,
  lookup: { overtime: boolean; maxAgeMs: number },
): Promise<SourceFailure | undefined> {
  const budget = run.budget as SourceBudget
  const spent = await budget.quotaSpent()
  if (spent) {
    return new SourceFailure(
      'VENDOR_QUOTA_EXHAUSTED',
      `the vendor answered this month that the org's API quota is spent (code ${spent.vendorCode ?? 'not given'}); no call until the month ends`,
      { vendorCode: spent.vendorCode },
    )
  }
  const remaining = await budget.remaining()
  if (remaining === undefined) return undefined
  const preview = await previewSource({
    userIds: run.userIds,
    from: run.from,
    to: run.to,
    limits: adapter.limits,
    unitSize,
    cache: run.cache,
    lookup,
    oldestDay: run.oldestDay,
    rowsPerUserDay: await budget.rowsPerUserDay(),
  })
  if (preview.plannedCalls <= remaining) return undefined
  return new SourceFailure(
    'VENDOR_BUDGET_EXHAUSTED',
    `the plan needs ${preview.plannedCalls}${preview.plannedCallsAreEstimate ? ' (estimated)' : ''} data calls and this month's monthlyCallBudget has ${remaining} left`,
  )
}

/** The block's user-days that no answer covers, as parts: per user, each run of consecutive dates. */
function missingOf(block: Block, notAnswered: ReadonlyMap<string, number[]>): MissingPart[] {
  const byRange = new Map<string, MissingPart>()
  for (const userId of block.userIds) {
    const days = (notAnswered.get(userId) ?? []).filter((day) => day >= block.from && day <= block.to)
    for (let start = 0; start < days.length; ) {
      let end = start
      while (end + 1 < days.length && days[end + 1] === (days[end] as number) + 1) end++
      const from = formatWorkDate(days[start] as number)
      const to = formatWorkDate(days[end] as number)
      const range = `${from}:${to}`
      const known = byRange.get(range)
      if (known) known.userIds.push(userId)
      else byRange.set(range, { userIds: [userId], from, to })
      start = end + 1
    }
  }
  return [...byRange.values()]
}

function part(userIds: string[], from: number, to: number): MissingPart {
  return { userIds, from: formatWorkDate(from), to: formatWorkDate(to) }
}

function byUsersThenDates(a: MissingPart, b: MissingPart): number {
  return compare(a.userIds[0] ?? '', b.userIds[0] ?? '') || compare(a.from, b.from)
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** In the order the codes are declared, so the same answer lists them the same way every time. */
function toWarnings(counts: ReadonlyMap<WarningCode, number>): SourceWarning[] {
  return (Object.keys(WARNING_MESSAGES) as WarningCode[])
    .filter((code) => (counts.get(code) ?? 0) > 0)
    .map((code) => ({ code, message: WARNING_MESSAGES[code], count: counts.get(code) ?? 0 }))
}

function retentionError(adapter: SourceAdapter, oldestDay: number): SourceError {
  return {
    code: 'VENDOR_RETENTION_EXCEEDED',
    message: `${adapter.config.vendor} serves no attendance data before ${formatWorkDate(oldestDay)} (retentionDays ${adapter.config.retentionDays}); those dates were not asked for`,
    vendorCode: null,
  }
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
    VENDOR_BUDGET_EXHAUSTED: 3,
    VENDOR_BAD_REQUEST: 4,
    VENDOR_RATE_LIMITED: 5,
    VENDOR_UNAVAILABLE: 6,
    VENDOR_BAD_RESPONSE: 7,
    TIMEOUT: 8,
    CANCELLED: 9,
    VENDOR_RETENTION_EXCEEDED: 10,
  }
  return errors.reduce<SourceError | null>(
    (best, error) => (!best || rank[error.code] < rank[best.code] ? error : best),
    null,
  )
}
