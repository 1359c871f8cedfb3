// Answers a checked user_tasks/query request from the pure data function, so that the HTTP answer and
// feishuTaskFor agree exactly. A full answer (50 users × 30 days) is over a megabyte of JSON; benchmarks ask
// for the same users and days again and again, so each task's JSON text is kept in a bounded cache and
// the answer is assembled from those texts. Days changed by hand (`setDay`) are looked up first and never
// cached, so that a change is served from the next call on. A day that is not over is served as it stands
// at `dataClock` (checks-so-far.ts) and never cached either: its checks fill in as time passes. The days
// of an id's departed employee come only with include_terminated_user (departures.ts).
import { toCompactDate } from '../../platform/time/work-date.js'
import { dayIsOver } from '../shared/day-over.js'
import { DayOverrides } from '../shared/day-overrides.js'
import type { Seed } from '../shared/prng.js'
import type { VendorReply } from '../shared/vendor-reply.js'
import { feishuTaskSoFar } from './checks-so-far.js'
import { feishuTaskFor } from './data.js'
import { holderOn } from './departures.js'
import { feishuErrors } from './errors.js'
import type { FeishuQueryRequest } from './rules.js'
import type { FeishuUserTask } from './types.js'

export interface FeishuDirectory {
  seed: Seed
  timezone: string
  invalidUserPrefix: string
  unauthorizedUserPrefix: string
  departedUserPrefix: string
  /** Epoch ms of now, read on every call. */
  dataClock: () => number
}

// About 1 KB each: some 20 MB at most.
const CACHED_TASKS = 20_000
const NO_TASK = 'null'

/** A day changed by hand, as served without and with need_overtime_result. */
export interface FeishuOverriddenDay {
  plain: FeishuUserTask
  overtime: FeishuUserTask
}

export type FeishuAnswerer = (request: FeishuQueryRequest) => { reply: VendorReply; rows: number }

export function createFeishuAnswerer(
  directory: FeishuDirectory,
  cachedTasks = CACHED_TASKS,
  overrides = new DayOverrides<FeishuOverriddenDay>(),
): FeishuAnswerer {
  const cache = new Map<string, string>()
  const generation = { seed: directory.seed, timezone: directory.timezone }

  /** The task of the id's holder that day, as JSON: a departed employee's days are never overridden. */
  const taskJson = (userId: string, epochDay: number, overtime: boolean, departed: boolean, now: number) => {
    const overridden = departed ? undefined : overrides.get(userId, epochDay)
    const over = dayIsOver(epochDay, now)
    if (overridden) {
      const task = overtime ? overridden.overtime : overridden.plain
      return JSON.stringify(over ? task : feishuTaskSoFar(task, now))
    }
    const day = toCompactDate(epochDay)
    if (!over) {
      const task = feishuTaskFor(userId, day, { ...generation, overtime, departed, now })
      return task ? JSON.stringify(task) : NO_TASK
    }
    const key = `${overtime ? 1 : 0}${departed ? 1 : 0}${day}${userId}`
    let text = cache.get(key)
    if (text !== undefined) {
      cache.delete(key)
    } else {
      const task = feishuTaskFor(userId, day, { ...generation, overtime, departed })
      text = task ? JSON.stringify(task) : NO_TASK
      if (cache.size >= cachedTasks) {
        const oldest = cache.keys().next().value
        if (oldest !== undefined) cache.delete(oldest)
      }
    }
    cache.set(key, text)
    return text
  }

  return (request) => {
    const invalid: string[] = []
    const unauthorized: string[] = []
    const readable: string[] = []
    for (const userId of request.userIds) {
      if (userId.startsWith(directory.invalidUserPrefix)) invalid.push(userId)
      else if (userId.startsWith(directory.unauthorizedUserPrefix)) unauthorized.push(userId)
      else readable.push(userId)
    }
    if (!request.ignoreInvalidUsers && (invalid.length > 0 || unauthorized.length > 0))
      return { reply: feishuErrors.invalidUsers(), rows: 0 }

    // The page does not say how results are ordered; we sort by user, then day.
    readable.sort()
    const tasks: string[] = []
    const now = directory.dataClock()
    const departures = { prefix: directory.departedUserPrefix, timezone: directory.timezone }
    for (const userId of readable)
      for (let day = request.fromDay; day <= request.toDay; day++) {
        const departed = holderOn(userId, day, now, departures) === 'departed'
        // Without include_terminated_user, only the employee who holds the id now.
        if (departed && !request.includeTerminatedUser) continue
        const text = taskJson(userId, day, request.needOvertimeResult, departed, now)
        if (text !== NO_TASK) tasks.push(text)
      }
    const body = `{"code":0,"msg":"success","data":{"user_task_results":[${tasks.join(',')}],"invalid_user_ids":${JSON.stringify(invalid)},"unauthorized_user_ids":${JSON.stringify(unauthorized)}}}`
    return { reply: { status: 200, body }, rows: tasks.length }
  }
}
