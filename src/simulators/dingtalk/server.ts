// The DingTalk simulator: legacy gettoken and attendance/list over HTTP, with the vendor's limits, token
// lifecycle, rate limit, retention and monthly quota, the configured faults, and days changed by hand.
import { formatWorkDate } from '../../platform/time/work-date.js'
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
import { dingTalkCorpId, dingTalkRecordIdFor, dingTalkRowsFor } from './data.js'
import { overrideDingTalkDay } from './day-override.js'
import { DINGTALK_ACK_TIMEOUT_MS, dingTalkWebhook } from './event-webhook.js'
import {
  DINGTALK_DEFAULTS,
  DINGTALK_RUNTIME_CHECKS,
  DINGTALK_RUNTIME_KEYS,
  DINGTALK_START_CHECKS,
  type DingTalkRuntimeOptions,
  type DingTalkSimulatorOptions,
} from './options.js'
import { createDingTalkLister } from './query.js'
import { oldestServedDay } from './retention.js'
import { dingTalkRoutes } from './routes.js'
import { type DingTalkStreamControls, startDingTalkStream } from './stream.js'
import { createDingTalkTokenStore } from './tokens.js'
import type { DingTalkRow } from './types.js'

export interface DingTalkSimulator {
  /** e.g. http://127.0.0.1:40124, no trailing slash; use it as the DingTalk base URL. */
  url: string
  port: number
  credentials: { appKey: string; appSecret: string }
  /**
   * The counters; `quotaUsed` is this quota month's. The event counters (eventsSent…) are there once events
   * were configured or sent.
   */
  counters(): Counters & Partial<EventCounters>
  /** Zeroes the counters and gives the current month its whole quota again. */
  resetCounters(): void
  /** Revokes every token issued so far; returns how many there were. */
  revokeAllTokens(): number
  /**
   * Changes faults, rate limit, token settings, retention and quota while running; throws
   * SimulatorOptionsError.
   */
  configure(patch: Partial<DingTalkRuntimeOptions>): void
  /** The runtime options; the event settings (events, eventFaults) are there once events were configured. */
  config(): Omit<DingTalkRuntimeOptions, EventOptionKey> &
    Partial<Pick<DingTalkRuntimeOptions, EventOptionKey>>
  /**
   * Overrides fields of the generated rows of one user's day ('YYYY-MM-DD'), e.g.
   * `{checks: {OnDuty: {timeResult: 'Late', userCheckTime}}}` (see day-override.ts); attendance/list serves
   * the returned rows from the next call on. Each call starts again from the generated day. Throws
   * SimulatorDayError for a day without rows (a weekend, an unknown user) or a bad override.
   */
  setDay(userId: string, workDate: string, override: unknown): DingTalkRow[]
  /** Serves the generated day again; false when it was not overridden. */
  resetDay(userId: string, workDate: string): boolean
  /** Serves every generated day again; returns how many days were overridden. */
  resetDays(): number
  /**
   * Each change of a day (setDay, resetDay, resetDays and their admin routes), with the rows as served
   * before and after: what the event modes turn into the vendor's events.
   */
  dayChanges: DayChanges<DingTalkRow[]>
  /** The stream mode (the gateway's connections/open and its WebSocket): stream.ts. */
  stream: DingTalkStreamControls
  close(): Promise<void>
}

/** Starts a DingTalk simulator; options are checked first (SimulatorOptionsError). */
export async function startDingTalkSimulator(
  given: Partial<DingTalkSimulatorOptions> = {},
): Promise<DingTalkSimulator> {
  const options: DingTalkSimulatorOptions = {
    ...DINGTALK_DEFAULTS,
    ...checkPatch<DingTalkSimulatorOptions>(given, DINGTALK_START_CHECKS),
  }
  const runtime = new SimulatorRuntime(() => options, options.faultSeed)
  const tokens = createDingTalkTokenStore(options.tokenClock)
  const quota = new MonthlyQuota(() => options)
  const overrides = new DayOverrides<DingTalkRow[]>()
  const dayEvents = new DayEvents<DingTalkRow[]>()
  const generatedRows = (userId: string, date: string) =>
    dingTalkRowsFor(userId, date, { seed: options.seed, timezone: options.timezone })
  const dayReset = (userId: string, day: number, before: DingTalkRow[]) => {
    const workDate = formatWorkDate(day)
    dayEvents.emit({ userId, workDate, kind: 'reset', before, after: generatedRows(userId, workDate) })
  }
  // Change events: the webhook mode delivers through the outbox (faults, retry, counters).
  const eventStats = new EventStats()
  if (configuresEvents(given)) eventStats.show()
  const outbox = new EventOutbox(() => options, eventStats, DINGTALK_ACK_TIMEOUT_MS)
  dingTalkWebhook(dayEvents, outbox, () => ({
    events: options.events,
    appKey: options.appKey,
    corpId: dingTalkCorpId(options.seed),
  }))

  const setDay = (userId: string, workDate: string, override: unknown): DingTalkRow[] => {
    const day = dayOfWorkDate(userId, workDate)
    const date = formatWorkDate(day)
    const generated = userId.startsWith(options.unknownUserPrefix) ? [] : generatedRows(userId, date)
    if (generated.length === 0)
      throw new SimulatorDayError(
        `${userId} has no rows on ${date} (a weekend or an unknown user): there is nothing to override`,
      )
    const rows = overrideDingTalkDay(structuredClone(generated), override, (index) =>
      dingTalkRecordIdFor(options.seed, userId, day, index),
    )
    const before = overrides.get(userId, day) ?? generatedRows(userId, date)
    overrides.set(userId, day, rows)
    dayEvents.emit({ userId, workDate: date, kind: 'set', before, after: rows })
    return structuredClone(rows)
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
      const checked = checkPatch<DingTalkRuntimeOptions>(patch, DINGTALK_RUNTIME_CHECKS)
      Object.assign(options, structuredClone(checked))
      if (configuresEvents(checked)) eventStats.show()
    },
    config: () => structuredClone(pickKeys(options, shownOptionKeys(DINGTALK_RUNTIME_KEYS, eventStats))),
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
  const list = createDingTalkLister(options, undefined, {
    overrides,
    oldestDay: () => oldestServedDay(options.dataClock(), options.timezone, options.retentionDays),
    now: () => options.dataClock(),
  })
  const routes = dingTalkRoutes({ options, runtime, tokens, list, quota })
  const stream = await startDingTalkStream(
    { ...options, corpId: dingTalkCorpId(options.seed) },
    dayEvents,
    outbox,
  )
  const server = await listenSimulator(options, runtime, stream.beside(routes), {
    ...controls,
    setDay: (userId, workDate, override) => ({ rows: setDay(userId, workDate, override) }),
  })
  return {
    url: server.url,
    port: server.port,
    credentials: { appKey: options.appKey, appSecret: options.appSecret },
    ...controls,
    setDay,
    dayChanges: { subscribe: (listener) => dayEvents.subscribe(listener) },
    stream,
    close: async () => {
      await outbox.close()
      await stream.close()
      await server.close()
    },
  }
}
