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
}

export const FeishuSourceInput = Type.Object(
  {
    ...common,
    vendor: Type.Literal('feishu'),
    appId: Type.String({ minLength: 1 }),
    appSecret: Type.String({ minLength: 1 }),
    employeeType: Type.Optional(Type.Union([Type.Literal('employee_id'), Type.Literal('employee_no')])),
    includeTerminatedUser: Type.Optional(Type.Boolean()),
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
}

export interface FeishuSourceConfig extends ResolvedCommon {
  vendor: 'feishu'
  appId: string
  appSecret: string
  employeeType: 'employee_id' | 'employee_no'
  includeTerminatedUser: boolean
}

export interface DingTalkSourceConfig extends ResolvedCommon {
  vendor: 'dingtalk'
  appKey: string
  appSecret: string
  isI18n: boolean
}

export type SourceConfig = FeishuSourceConfig | DingTalkSourceConfig

/** Vendor defaults: rate limits at 90% of the documented 50/s (Feishu) and 20/s (DingTalk). */
export const VENDOR_DEFAULTS = {
  feishu: { baseUrl: 'https://open.feishu.cn', rateLimitPerSecond: 45, maxConcurrency: 10 },
  dingtalk: { baseUrl: 'https://oapi.dingtalk.com', rateLimitPerSecond: 18, maxConcurrency: 10 },
} as const

export function resolveSource(input: SourceInput): SourceConfig {
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
  }
  if (input.vendor === 'feishu') {
    return {
      ...common,
      vendor: 'feishu',
      appId: input.appId,
      appSecret: input.appSecret,
      employeeType: input.employeeType ?? 'employee_id',
      includeTerminatedUser: input.includeTerminatedUser ?? false,
    }
  }
  return {
    ...common,
    vendor: 'dingtalk',
    appKey: input.appKey,
    appSecret: input.appSecret,
    isI18n: input.isI18n ?? false,
  }
}
