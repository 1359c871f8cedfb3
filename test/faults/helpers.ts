// What every fault test checks: an answer is either complete, or each source's report names exactly the
// blocks of users × dates it could not fetch, and every day of every other block is there. Not a test file
// (tap includes only *.test.ts).
import type { Test } from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import type { DayResult } from '../../src/schemas/day-result.js'
import type { MissingPart } from '../../src/schemas/source-report.js'

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `condition` every few ms until it holds; fails the test with `what` after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

const DAY_MS = 86_400_000
const toDay = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS
const toDate = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10)

/**
 * The blocks the service must plan, worked out here independently of src/domain/attendance/plan.ts: distinct users
 * sorted (the answer's order) in chunks of 50, dates in consecutive windows of `daysPerCall` (Feishu 30,
 * DingTalk 7).
 */
export function plannedBlocks(
  userIds: string[],
  from: string,
  to: string,
  daysPerCall: number,
): MissingPart[] {
  const blocks: MissingPart[] = []
  const sorted = [...new Set(userIds)].sort()
  for (let start = 0; start < sorted.length; start += 50) {
    for (let day = toDay(from); day <= toDay(to); day += daysPerCall) {
      blocks.push({
        userIds: sorted.slice(start, start + 50),
        from: toDate(day),
        to: toDate(Math.min(day + daysPerCall - 1, toDay(to))),
      })
    }
  }
  return blocks
}

/** `missing` sorted in the order of `plan` (the service lists blocks in the order they failed). */
export function inPlanOrder(missing: MissingPart[] | undefined, plan: MissingPart[]): MissingPart[] {
  const key = (part: MissingPart) => JSON.stringify([part.userIds, part.from, part.to])
  const index = new Map(plan.map((part, position) => [key(part), position]))
  return [...(missing ?? [])].sort((a, b) => (index.get(key(a)) ?? -1) - (index.get(key(b)) ?? -1))
}

export function covers(part: MissingPart, day: Pick<DayResult, 'userId' | 'workDate'>): boolean {
  return part.userIds.includes(day.userId) && part.from <= day.workDate && day.workDate <= part.to
}

/** userIds of one source in a request's `users` list ("feishu:u1" → "u1"), in order. */
export function idsOf(source: string, users: string[]): string[] {
  return users.filter((user) => user.startsWith(`${source}:`)).map((user) => user.slice(source.length + 1))
}

/**
 * Checks `answer` against `baseline` (the fault-free answer to the same query):
 * - every source's `missing` is a list of whole planned blocks (`plans[source]`), none twice;
 * - `results` are exactly the baseline's days outside the missing blocks, equal value for value (so no day
 *   of a fetched block is lost, and no day of a block reported missing is served);
 * - `status` is ok / partial / error as none / some / all of the blocks are missing; `error` is set iff
 *   something is missing; `complete` is true iff every source is ok.
 * Returns the missing blocks per source.
 */
export function assertAccounted(
  t: Test,
  answer: AttendanceResponse,
  baseline: AttendanceResponse,
  plans: Record<string, MissingPart[]>,
): Record<string, MissingPart[]> {
  const missingBySource: Record<string, MissingPart[]> = {}
  for (const report of answer.sources) {
    const plan = plans[report.source] ?? []
    const key = (part: MissingPart) => JSON.stringify([part.userIds, part.from, part.to])
    const planned = new Set(plan.map(key))
    const missing = report.missing.map(key)
    t.ok(
      missing.every((part) => planned.has(part)),
      `${report.source}: every missing part is a whole planned block`,
    )
    t.equal(new Set(missing).size, missing.length, `${report.source}: no block is listed twice`)
    const expectedStatus = missing.length === 0 ? 'ok' : missing.length === plan.length ? 'error' : 'partial'
    t.equal(report.status, expectedStatus, `${report.source}: status ${expectedStatus}`)
    t.equal(
      report.error === null,
      missing.length === 0,
      `${report.source}: an error iff something is missing`,
    )
    missingBySource[report.source] = report.missing
  }
  const missingOf = (day: DayResult) => missingBySource[day.source] ?? []
  const expected = baseline.results.filter((day) => !missingOf(day).some((part) => covers(part, day)))
  t.equal(answer.results.length, expected.length, `${answer.results.length} days: all of the fetched blocks`)
  t.same(
    answer.results.map(withoutFetchTime),
    expected.map(withoutFetchTime),
    'the days are those of the fetched blocks, value for value (apart from when they were fetched)',
  )
  t.equal(
    answer.complete,
    answer.sources.every((report) => report.status === 'ok'),
    'complete iff every source is ok',
  )
  return missingBySource
}

/** A day without `fetchedAt`: two fetches of the same data differ only there. */
export function withoutFetchTime(day: DayResult): Omit<DayResult, 'fetchedAt'> {
  const { fetchedAt: _fetchedAt, ...rest } = day
  return rest
}

/** An answer whose days are compared without `fetchedAt`. */
export function withoutFetchTimes(answer: AttendanceResponse) {
  return { ...answer, results: answer.results.map(withoutFetchTime) }
}
