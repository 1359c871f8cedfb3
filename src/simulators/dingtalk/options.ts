import {
  DEFAULT_EVENT_RETRY_DELAYS_MS,
  type EventFaults,
  eventFaultsCheck,
  eventRetryDelaysCheck,
  NO_EVENT_FAULTS,
} from '../shared/event-delivery.js'
import {
  type Check,
  COMMON_DEFAULTS,
  COMMON_RUNTIME_CHECKS,
  COMMON_START_CHECKS,
  type CommonRuntimeOptions,
  type CommonStartOptions,
  checks,
} from '../shared/options.js'
import { type DingTalkEventOptions, dingTalkEventsCheck } from './event-options.js'

export interface DingTalkRuntimeOptions extends CommonRuntimeOptions {
  /** '90018': errcode 90018. '88': errcode 88 with sub_code "90018", as also seen in practice. */
  rateLimitVariant: '90018' | '88'
  /**
   * Days back from today (in `timezone`, on `dataClock`) that attendance/list still serves: with 180, the
   * oldest day served is today − 180. 0 (the default) serves every day, so that fixed dates in tests keep
   * working; the real vendor keeps about half a year (about 180 days). See retention.ts.
   */
  retentionDays: number
  /**
   * Data calls allowed per calendar month (in `timezone`, on `dataClock`); once spent, data calls answer
   * errcode 90020 until the month changes. 0 (the default): no limit. See shared/monthly-quota.ts.
   */
  monthlyQuota: number
  /** Change events: where and how they are delivered (event-options.ts); {} sends none. */
  events: DingTalkEventOptions
  /** Faults of the event deliveries (shared/event-delivery.ts); a key left out is off. */
  eventFaults: Partial<EventFaults>
  /** The waits before each retry of a failed event delivery (shared/event-delivery.ts); default [200]. */
  eventRetryDelaysMs: number[]
}

export interface DingTalkSimulatorOptions extends DingTalkRuntimeOptions, CommonStartOptions {
  appKey: string
  appSecret: string
  /** userIds starting with this are unknown to the corp: they give no rows (not an error). */
  unknownUserPrefix: string
}

export const DINGTALK_DEFAULTS: DingTalkSimulatorOptions = {
  ...COMMON_DEFAULTS,
  appKey: 'simulator-key',
  appSecret: 'simulator-secret',
  rateLimitPerSecond: 20,
  rateLimitVariant: '90018',
  retentionDays: 0,
  monthlyQuota: 0,
  events: {},
  eventFaults: { ...NO_EVENT_FAULTS },
  eventRetryDelaysMs: [...DEFAULT_EVENT_RETRY_DELAYS_MS],
  unknownUserPrefix: 'unknown_',
}

export const DINGTALK_RUNTIME_CHECKS: Record<keyof DingTalkRuntimeOptions, Check> = {
  ...COMMON_RUNTIME_CHECKS,
  rateLimitVariant: checks.oneOf('90018', '88'),
  retentionDays: checks.nonNegativeInteger,
  monthlyQuota: checks.nonNegativeInteger,
  events: dingTalkEventsCheck,
  eventFaults: eventFaultsCheck,
  eventRetryDelaysMs: eventRetryDelaysCheck,
}

export const DINGTALK_START_CHECKS: Record<keyof DingTalkSimulatorOptions, Check> = {
  ...DINGTALK_RUNTIME_CHECKS,
  ...COMMON_START_CHECKS,
  appKey: checks.nonEmptyString,
  appSecret: checks.nonEmptyString,
  unknownUserPrefix: checks.nonEmptyString,
}

export const DINGTALK_RUNTIME_KEYS = Object.keys(DINGTALK_RUNTIME_CHECKS) as Array<
  keyof DingTalkRuntimeOptions
>
