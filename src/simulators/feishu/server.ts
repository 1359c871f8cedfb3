// The Feishu simulator: tenant_access_token/internal and attendance user_tasks/query over HTTP, with the
// vendor's limits, token lifecycle and rate limit, the configured faults, and days changed by hand.
import { formatWorkDate, toCompactDate } from '../../platform/time/work-date.js'
import type { Counters } from '../shared/counters.js'
import { type DayChanges, DayEvents } from '../shared/day-events.js'
import { DayOverrides, dayOfWorkDate, SimulatorDayError } from '../shared/day-overrides.js'
import {
  configuresEvents,
  type EventCounters,
  type EventOptionKey,
  EventOutbox,
  EventStats,
  shownOptionKeys,
} from '../shared/event-delivery.js'
import { listenSimulator } from '../shared/http-server.js'
import { MonthlyQuota } from '../shared/monthly-quota.js'
import { checkPatch, pickKeys } from '../shared/options.js'
import { SimulatorRuntime } from '../shared/runtime.js'
import { feishuTaskFor } from './data.js'
import { overrideFeishuTask } from './day-override.js'
import { lastDayBeforeDeparture } from './departures.js'
import { FEISHU_ACK_TIMEOUT_MS, feishuWebhook } from './event-webhook.js'
import { feishuTenantKey } from './events.js'
import { type FeishuLongConnectionControls, startFeishuLongConnection } from './long-connection.js'
import {
  FEISHU_DEFAULTS,
  FEISHU_RUNTIME_CHECKS,
  FEISHU_RUNTIME_KEYS,
  FEISHU_START_CHECKS,
  type FeishuRuntimeOptions,
  type FeishuSimulatorOptions,
} from './options.js'
import { feishuPersonFor } from './people.js'
import { createFeishuAnswerer, type FeishuOverriddenDay } from './query.js'
import { feishuRoutes } from './routes.js'
import { createFeishuTokenStore } from './tokens.js'
import type { FeishuUserTask } from './types.js'

export interface FeishuSimulator {
  /** e.g. http://127.0.0.1:40123, no trailing slash; use it as the Feishu base URL. */
  url: string
  port: number
  credentials: { appId: string; appSecret: string }
  /**
   * The counters; `quotaUsed` is this quota month's. The event counters (eventsSent…) are there once events
   * were configured or sent.
   */
  counters(): Counters & Partial<EventCounters>
  /** Zeroes the counters and gives the current month its whole quota again. */
  resetCounters(): void
  /** Revokes every token issued so far; returns how many there were. */
  revokeAllTokens(): number
  /** Changes faults, rate limit, token settings and quota while running; throws SimulatorOptionsError. */
  configure(patch: Partial<FeishuRuntimeOptions>): void
  /** The runtime options; the event settings (events, eventFaults) are there once events were configured. */
  config(): Omit<FeishuRuntimeOptions, EventOptionKey> & Partial<Pick<FeishuRuntimeOptions, EventOptionKey>>
  /**
   * Overrides fields of the records of one user's generated task on a day ('YYYY-MM-DD'), e.g.
   * `{records: [{check_in_result: 'Late', check_in_time: '1715045400'}]}` (see day-override.ts);
   * user_tasks/query serves it from the next call on. Returns the task as served with
   * need_overtime_result (without it, the overtime segments are left out). Each call starts again from
   * the generated day. Throws SimulatorDayError for a day without a task (a weekend, an invalid or
   * unauthorized user) or a bad override.
   */
  setDay(userId: string, workDate: string, override: unknown): FeishuUserTask
  /** Serves the generated day again; false when it was not overridden. */
  resetDay(userId: string, workDate: string): boolean
  /** Serves every generated day again; returns how many days were overridden. */
  resetDays(): number
  /**
   * Each change of a day (setDay, resetDay, resetDays and their admin routes), with the task as served
   * with need_overtime_result before and after: what the event modes turn into the vendor's events.
   */
  dayChanges: DayChanges<FeishuUserTask>
  /** The long-connection mode (POST /callback/ws/endpoint and its WebSocket): long-connection.ts. */
  longConnection: FeishuLongConnectionControls
  close(): Promise<void>
}

/** Starts a Feishu simulator; options are checked first (SimulatorOptionsError). */
export async function startFeishuSimulator(
  given: Partial<FeishuSimulatorOptions> = {},
): Promise<FeishuSimulator> {
  const options: FeishuSimulatorOptions = {
    ...FEISHU_DEFAULTS,
    ...checkPatch<FeishuSimulatorOptions>(given, FEISHU_START_CHECKS),
  }
  const runtime = new SimulatorRuntime(() => options, options.faultSeed)
  const tokens = createFeishuTokenStore(options.tokenClock)
  const quota = new MonthlyQuota(() => options)
  const overrides = new DayOverrides<FeishuOverriddenDay>()
  const dayEvents = new DayEvents<FeishuUserTask>()
  const generatedTask = (userId: string, day: number) =>
    feishuTaskFor(userId, toCompactDate(day), {
      seed: options.seed,
      timezone: options.timezone,
      overtime: true,
    })
  const dayReset = (userId: string, day: number, before: FeishuOverriddenDay) => {
    const after = generatedTask(userId, day)
    if (after)
      dayEvents.emit({ userId, workDate: formatWorkDate(day), kind: 'reset', before: before.overtime, after })
  }
  // Change events: the webhook mode delivers through the outbox (faults, retry, counters).
  const eventStats = new EventStats()
  if (configuresEvents(given)) eventStats.show()
  const outbox = new EventOutbox(() => options, eventStats, FEISHU_ACK_TIMEOUT_MS)
  const tenantKey = feishuTenantKey(options.seed)
  feishuWebhook(dayEvents, outbox, () => ({
    events: options.events,
    appId: options.appId,
    tenantKey,
    timezone: options.timezone,
  }))

  const setDay = (userId: string, workDate: string, override: unknown): FeishuUserTask => {
    const day = dayOfWorkDate(userId, workDate)
    const hidden =
      userId.startsWith(options.invalidUserPrefix) || userId.startsWith(options.unauthorizedUserPrefix)
    // A departed employee's days (departures.ts) are the vendor's record of someone gone: not changed here.
    const lastDay = lastDayBeforeDeparture(userId, options.departedUserPrefix)
    const departed = lastDay !== null && day <= lastDay
    const generated = hidden || departed ? null : generatedTask(userId, day)
    if (generated === null)
      throw new SimulatorDayError(
        `${userId} has no task on ${workDate} that can be changed (a weekend, an invalid or unauthorized user, or a day of a departed employee): there is nothing to override`,
      )
    const overtime = overrideFeishuTask(generated, override, feishuPersonFor(options.seed, userId).deviceId)
    const plain = { ...overtime, records: overtime.records.filter((record) => record.task_shift_type === 0) }
    const before = overrides.get(userId, day)?.overtime ?? generatedTask(userId, day)
    overrides.set(userId, day, { plain, overtime })
    if (before)
      dayEvents.emit({ userId, workDate: formatWorkDate(day), kind: 'set', before, after: overtime })
    return structuredClone(overtime)
  }
  const controls = {
    counters: () => ({ ...runtime.stats.snapshot(), quotaUsed: quota.used(), ...eventStats.shown() }),
    resetCounters: () => {
      runtime.stats.reset()
      eventStats.reset()
      quota.reset()
    },
    revokeAllTokens: () => tokens.revokeAll(),
    // Copies, so that neither a caller's patch nor a returned config can change the options behind our back.
    configure: (patch: unknown) => {
      const checked = checkPatch<FeishuRuntimeOptions>(patch, FEISHU_RUNTIME_CHECKS)
      Object.assign(options, structuredClone(checked))
      if (configuresEvents(checked)) eventStats.show()
    },
    config: () => structuredClone(pickKeys(options, shownOptionKeys(FEISHU_RUNTIME_KEYS, eventStats))),
    resetDay: (userId: string, workDate: string) => {
      const day = dayOfWorkDate(userId, workDate)
      const before = overrides.get(userId, day)
      if (!before || !overrides.delete(userId, day)) return false
      dayReset(userId, day, before)
      return true
    },
    resetDays: () => {
      const reset = [...overrides.entries()]
      const count = overrides.clear()
      for (const { userId, epochDay, served } of reset) dayReset(userId, epochDay, served)
      return count
    },
  }
  const answer = createFeishuAnswerer(options, undefined, overrides)
  const routes = feishuRoutes({ options, runtime, tokens, answer, quota })
  const longConnection = await startFeishuLongConnection(
    { ...options, current: () => ({ events: options.events, tenantKey, timezone: options.timezone }) },
    dayEvents,
    outbox,
  )
  const server = await listenSimulator(options, runtime, longConnection.beside(routes), {
    ...controls,
    setDay: (userId, workDate, override) => ({ task: setDay(userId, workDate, override) }),
  })
  return {
    url: server.url,
    port: server.port,
    credentials: { appId: options.appId, appSecret: options.appSecret },
    ...controls,
    setDay,
    dayChanges: { subscribe: (listener) => dayEvents.subscribe(listener) },
    longConnection,
    close: async () => {
      await outbox.close()
      await longConnection.close()
      await server.close()
    },
  }
}
