// The sources file: which vendor tenants the service reads, with their credentials and limits.
import { type Static, Type } from 'typebox'
import { SOURCE_ID_PATTERN } from '../schemas/attendance-query.js'

const common = {
  id: Type.String({ pattern: SOURCE_ID_PATTERN, description: 'slug used in requests, e.g. "feishu-hq"' }),
  baseUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  timezone: Type.Optional(Type.String({ minLength: 1 })),
  rateLimitPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000 })),
  maxConcurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  requestTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 300_000 })),
  maxConcurrentQueries: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  maxQueuedQueries: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
  cacheTtlSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 31_536_000 })),
  recentCacheTtlSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 31_536_000 })),
  settleDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 366 })),
  retentionDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 36_600 })),
  monthlyCallBudget: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
  reconcile: Type.Optional(
    Type.Object(
      {
        everyMinutes: Type.Integer({ minimum: 1, maximum: 10_080 }),
        days: Type.Integer({ minimum: 1, maximum: 31 }),
      },
      { additionalProperties: false },
    ),
  ),
}

const FeishuEvents = Type.Object(
  {
    mode: Type.Union([Type.Literal('webhook'), Type.Literal('long-connection'), Type.Literal('off')]),
    verificationToken: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    encryptKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
)

const DingTalkEvents = Type.Object(
  {
    mode: Type.Union([Type.Literal('stream'), Type.Literal('webhook'), Type.Literal('off')]),
    token: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{3,32}$' })),
    aesKey: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{43}$' })),
    monthlyAllowance: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
  },
  { additionalProperties: false },
)

export const FeishuSourceInput = Type.Object(
  {
    ...common,
    vendor: Type.Literal('feishu'),
    appId: Type.String({ minLength: 1 }),
    appSecret: Type.String({ minLength: 1 }),
    employeeType: Type.Optional(Type.Union([Type.Literal('employee_id'), Type.Literal('employee_no')])),
    includeTerminatedUser: Type.Optional(Type.Boolean()),
    events: Type.Optional(FeishuEvents),
  },
  { additionalProperties: false },
)

export const DingTalkSourceInput = Type.Object(
  {
    ...common,
    vendor: Type.Literal('dingtalk'),
    appKey: Type.String({ minLength: 1 }),
    appSecret: Type.String({ minLength: 1 }),
    isI18n: Type.Optional(Type.Boolean()),
    events: Type.Optional(DingTalkEvents),
  },
  { additionalProperties: false },
)

export type FeishuSourceInput = Static<typeof FeishuSourceInput>
export type DingTalkSourceInput = Static<typeof DingTalkSourceInput>
export type SourceInput = FeishuSourceInput | DingTalkSourceInput

interface ResolvedCommon {
  id: string
  baseUrl: string
  timezone: string
  rateLimitPerSecond: number
  maxConcurrency: number
  requestTimeoutMs: number
  /** Queries of this source that run at once in this replica; more wait in a queue. */
  maxConcurrentQueries: number
  /** Queries that may wait for their turn; beyond it a query is refused with 503. */
  maxQueuedQueries: number
  /** Result cache: settled days kept this long (0: no cache for this source). */
  cacheTtlSeconds: number
  /** Result cache: the last settleDays days and today kept this long. */
  recentCacheTtlSeconds: number
  settleDays: number
  /** Days back from today (source zone) the vendor still serves; 0: no limit. */
  retentionDays: number
  /** Data calls a calendar month (source zone) across all replicas; undefined: no budget. */
  monthlyCallBudget: number | undefined
  /** Refetch the last `days` days of recently queried users every `everyMinutes`; undefined: off. */
  reconcile: { everyMinutes: number; days: number } | undefined
}

export interface FeishuSourceConfig extends ResolvedCommon {
  vendor: 'feishu'
  appId: string
  appSecret: string
  employeeType: 'employee_id' | 'employee_no'
  includeTerminatedUser: boolean
  /** Change events: the webhook checks the Verification Token, and with an Encrypt Key decrypts and verifies. */
  events: { mode: 'webhook' | 'long-connection' | 'off'; verificationToken?: string; encryptKey?: string }
}

export interface DingTalkSourceConfig extends ResolvedCommon {
  vendor: 'dingtalk'
  appKey: string
  appSecret: string
  isI18n: boolean
  /**
   * Change events: the webhook needs the console's token and EncodingAESKey. `monthlyAllowance`: the
   * events a month the org's edition allows (default DINGTALK_EVENT_ALLOWANCE, the standard edition's).
   */
  events: { mode: 'stream' | 'webhook' | 'off'; token?: string; aesKey?: string; monthlyAllowance?: number }
}

export type SourceConfig = FeishuSourceConfig | DingTalkSourceConfig

/**
 * Vendor defaults. Rate limits: 90% of Feishu's documented 50/s, 95% of DingTalk's 20/s. A big query's
 * wall time is DingTalk's pages (20 a second at most); at 18 it could not come within 1.10× of that
 * floor (18 per 1,030 ms is 87.4% of it), at 19 it does (bench/RESULTS.md, large query: 1.09×, 0
 * refusals, busiest sliding second 20 in the worst of three runs).
 */
export const VENDOR_DEFAULTS = {
  feishu: { baseUrl: 'https://open.feishu.cn', rateLimitPerSecond: 45, maxConcurrency: 10, retentionDays: 0 },
  // DingTalk serves no attendance/list data older than half a year.
  dingtalk: {
    baseUrl: 'https://oapi.dingtalk.com',
    rateLimitPerSecond: 19,
    maxConcurrency: 10,
    retentionDays: 180,
  },
} as const

/** The result cache's service-wide defaults (CACHE_TTL_SECONDS, RECENT_CACHE_TTL_SECONDS, SETTLE_DAYS). */
export interface CacheDefaults {
  cacheTtlSeconds: number
  recentCacheTtlSeconds: number
  settleDays: number
}

export const CACHE_DEFAULTS: CacheDefaults = {
  cacheTtlSeconds: 21_600,
  recentCacheTtlSeconds: 300,
  settleDays: 3,
}

export function resolveSource(
  input: SourceInput,
  cacheDefaults: CacheDefaults = CACHE_DEFAULTS,
): SourceConfig {
  const defaults = VENDOR_DEFAULTS[input.vendor]
  const common: ResolvedCommon = {
    id: input.id,
    baseUrl: (input.baseUrl ?? defaults.baseUrl).replace(/\/+$/, ''),
    timezone: input.timezone ?? 'Asia/Shanghai',
    rateLimitPerSecond: input.rateLimitPerSecond ?? defaults.rateLimitPerSecond,
    maxConcurrency: input.maxConcurrency ?? defaults.maxConcurrency,
    requestTimeoutMs: input.requestTimeoutMs ?? 10_000,
    maxConcurrentQueries: input.maxConcurrentQueries ?? 4,
    maxQueuedQueries: input.maxQueuedQueries ?? 32,
    cacheTtlSeconds: input.cacheTtlSeconds ?? cacheDefaults.cacheTtlSeconds,
    recentCacheTtlSeconds: input.recentCacheTtlSeconds ?? cacheDefaults.recentCacheTtlSeconds,
    settleDays: input.settleDays ?? cacheDefaults.settleDays,
    retentionDays: input.retentionDays ?? defaults.retentionDays,
    monthlyCallBudget: input.monthlyCallBudget,
    reconcile: input.reconcile,
  }
  if (input.vendor === 'feishu') {
    return {
      ...common,
      vendor: 'feishu',
      appId: input.appId,
      appSecret: input.appSecret,
      employeeType: input.employeeType ?? 'employee_id',
      includeTerminatedUser: input.includeTerminatedUser ?? false,
      events: input.events ?? { mode: 'off' },
    }
  }
  return {
    ...common,
    vendor: 'dingtalk',
    appKey: input.appKey,
    appSecret: input.appSecret,
    isI18n: input.isI18n ?? false,
    events: input.events ?? { mode: 'off' },
  }
}

/** The app ids Feishu's SDK opens a long connection for (custom apps); it refuses others without an error. */
const FEISHU_CUSTOM_APP_ID = /^cli_[0-9a-fA-F]{16}$/

/** What an events setting lacks or cannot do yet, in words naming the field; undefined when it is fine. */
export function eventsProblem(source: SourceConfig): string | undefined {
  const { events } = source
  if (events.mode === 'off' || events.mode === 'stream') return undefined
  if (events.mode === 'long-connection') {
    return source.vendor === 'feishu' && !FEISHU_CUSTOM_APP_ID.test(source.appId)
      ? 'events.mode "long-connection" needs the appId of a custom app ("cli_" and 16 hex digits): the SDK connects no other'
      : undefined
  }
  if (source.vendor === 'feishu' && !source.events.verificationToken) {
    return 'events.verificationToken is required for the webhook (the Verification Token of the app)'
  }
  if (source.vendor === 'dingtalk' && (!source.events.token || !source.events.aesKey)) {
    return "events.token and events.aesKey are required for the webhook (the app's token and EncodingAESKey)"
  }
  return undefined
}
