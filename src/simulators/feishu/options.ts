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
import { type FeishuEventOptions, feishuEventsCheck } from './event-options.js'

export interface FeishuRuntimeOptions extends CommonRuntimeOptions {
  /** HTTP status of a rate-limit refusal: 429, or 400 as some older Feishu APIs answer. */
  rateLimitVariant: 429 | 400
  /** A re-fetch returns the same token while at least this many seconds remain (the vendor's 30 min). */
  feishuReuseThresholdSeconds: number
  /**
   * Data calls answered 2xx allowed per calendar month (in `timezone`, on `dataClock`), as on the Basic
   * edition (10,000 there); once spent, data calls answer HTTP 429 code 99991403 until the month changes.
   * 0 (the default): no limit, as on the other editions. See shared/monthly-quota.ts.
   */
  monthlyQuota: number
  /** Change events: where and how they are delivered (event-options.ts); {} sends none. */
  events: FeishuEventOptions
  /** Faults of the event deliveries (shared/event-delivery.ts); a key left out is off. */
  eventFaults: Partial<EventFaults>
  /** The waits before each retry of a failed event delivery (shared/event-delivery.ts); default [200]. */
  eventRetryDelaysMs: number[]
}

export interface FeishuSimulatorOptions extends FeishuRuntimeOptions, CommonStartOptions {
  appId: string
  appSecret: string
  /** user_ids starting with this are invalid (`invalid_user_ids`). */
  invalidUserPrefix: string
  /** user_ids starting with this are not readable by the app (`unauthorized_user_ids`). */
  unauthorizedUserPrefix: string
  /** This, then a yyyyMMdd: an id whose employee left after that day and was reused (departures.ts). */
  departedUserPrefix: string
}

export const FEISHU_DEFAULTS: FeishuSimulatorOptions = {
  ...COMMON_DEFAULTS,
  appId: 'cli_simulator',
  appSecret: 'simulator-secret',
  rateLimitPerSecond: 50,
  rateLimitVariant: 429,
  feishuReuseThresholdSeconds: 1800,
  monthlyQuota: 0,
  events: {},
  eventFaults: { ...NO_EVENT_FAULTS },
  eventRetryDelaysMs: [...DEFAULT_EVENT_RETRY_DELAYS_MS],
  invalidUserPrefix: 'invalid_',
  unauthorizedUserPrefix: 'unauth_',
  departedUserPrefix: 'departed_',
}

export const FEISHU_RUNTIME_CHECKS: Record<keyof FeishuRuntimeOptions, Check> = {
  ...COMMON_RUNTIME_CHECKS,
  rateLimitVariant: checks.oneOf(429, 400),
  feishuReuseThresholdSeconds: checks.nonNegativeNumber,
  monthlyQuota: checks.nonNegativeInteger,
  events: feishuEventsCheck,
  eventFaults: eventFaultsCheck,
  eventRetryDelaysMs: eventRetryDelaysCheck,
}

export const FEISHU_START_CHECKS: Record<keyof FeishuSimulatorOptions, Check> = {
  ...FEISHU_RUNTIME_CHECKS,
  ...COMMON_START_CHECKS,
  appId: checks.nonEmptyString,
  appSecret: checks.nonEmptyString,
  invalidUserPrefix: checks.nonEmptyString,
  unauthorizedUserPrefix: checks.nonEmptyString,
  departedUserPrefix: checks.nonEmptyString,
}

export const FEISHU_RUNTIME_KEYS = Object.keys(FEISHU_RUNTIME_CHECKS) as Array<keyof FeishuRuntimeOptions>
