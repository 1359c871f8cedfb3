// What a query needs at the least, worked out from the simulators' own data rather than by hand: users in
// chunks of 50; Feishu windows of 30 days; DingTalk windows of 7 days, each read in pages of 50 rows, so
// ceil(rows / 50) calls per block (one when it has no rows). Plus one token call per app.
import { dingTalkRowsFor, feishuTaskFor } from '../../src/simulators/index.js'

const DAY_MS = 86_400_000
const USERS_PER_CALL = 50
const PAGE_ROWS = 50

export function datesOf(from: string, to: string): string[] {
  const dates: string[] = []
  for (let at = Date.parse(`${from}T00:00:00Z`); at <= Date.parse(`${to}T00:00:00Z`); at += DAY_MS) {
    dates.push(new Date(at).toISOString().slice(0, 10))
  }
  return dates
}

function windows(dates: readonly string[], size: number): string[][] {
  const out: string[][] = []
  for (let start = 0; start < dates.length; start += size) out.push(dates.slice(start, start + size))
  return out
}

function chunks(userIds: readonly string[]): string[][] {
  const sorted = [...userIds].sort()
  const out: string[][] = []
  for (let start = 0; start < sorted.length; start += USERS_PER_CALL)
    out.push(sorted.slice(start, start + USERS_PER_CALL))
  return out
}

export function feishuMinimumCalls(userIds: readonly string[], from: string, to: string): number {
  if (userIds.length === 0) return 0
  return chunks(userIds).length * windows(datesOf(from, to), 30).length
}

export function dingTalkMinimumCalls(userIds: readonly string[], from: string, to: string): number {
  let calls = 0
  for (const chunk of chunks(userIds)) {
    for (const window of windows(datesOf(from, to), 7)) {
      let rows = 0
      for (const userId of chunk) for (const date of window) rows += dingTalkRowsFor(userId, date, {}).length
      calls += Math.max(1, Math.ceil(rows / PAGE_ROWS))
    }
  }
  return calls
}

/** Days the simulators hold for these users: what a complete answer has. */
export function expectedDays(
  feishuUsers: readonly string[],
  dingTalkUsers: readonly string[],
  from: string,
  to: string,
) {
  const dates = datesOf(from, to)
  let feishu = 0
  let dingtalk = 0
  for (const userId of feishuUsers)
    for (const date of dates) if (feishuTaskFor(userId, compact(date), { overtime: false })) feishu++
  for (const userId of dingTalkUsers)
    for (const date of dates) if (dingTalkRowsFor(userId, date, {}).length > 0) dingtalk++
  return { feishu, dingtalk }
}

export function compact(date: string): number {
  return Number(date.replaceAll('-', ''))
}

export function userIds(prefix: string, count: number, start = 0): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(start + i).padStart(5, '0')}`)
}
