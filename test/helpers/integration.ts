// Integration set-up: the vendor simulators over real HTTP and app replicas on real Redis.
import type { Test } from 'tap'
import type { Config } from '../../src/config/config.js'
import { resolveSource, type SourceConfig } from '../../src/config/source-config.js'
import { createLogger } from '../../src/platform/logging/logger.js'
import { SecretRedactor } from '../../src/platform/logging/secret-redactor.js'
import { formatWorkDate, parseWorkDate } from '../../src/platform/time/work-date.js'
import { workDateInZone } from '../../src/platform/time/zoned-time.js'
import { buildApp } from '../../src/service/app.js'
import {
  type DingTalkSimulator,
  type DingTalkSimulatorOptions,
  type FeishuSimulator,
  type FeishuSimulatorOptions,
  startDingTalkSimulator,
  startFeishuSimulator,
} from '../../src/simulators/index.js'
import { checkEveryAnswer } from './openapi-hook.js'
import { testRedisUrl, uniquePrefix } from './redis.js'
import { LogCapture, testConfig } from './test-app.js'

export interface Simulators {
  feishu: FeishuSimulator
  dingtalk: DingTalkSimulator
}

export async function startSimulators(
  t: Test,
  options: { feishu?: Partial<FeishuSimulatorOptions>; dingtalk?: Partial<DingTalkSimulatorOptions> } = {},
): Promise<Simulators> {
  const [feishu, dingtalk] = await Promise.all([
    startFeishuSimulator(options.feishu),
    startDingTalkSimulator(options.dingtalk),
  ])
  t.teardown(async () => {
    await Promise.all([feishu.close(), dingtalk.close()])
  })
  return { feishu, dingtalk }
}

/**
 * The sources of both simulators. The result cache is off unless a test turns it on
 * (`{ feishu: { cacheTtlSeconds: 21600 } }`): most tests compare a query with the same query under faults,
 * and the second one must reach the vendor.
 */
export function sourcesFor(
  simulators: Simulators,
  overrides: { feishu?: Partial<SourceConfig>; dingtalk?: Partial<SourceConfig> } = {},
): SourceConfig[] {
  return [
    {
      ...resolveSource({
        id: 'feishu',
        vendor: 'feishu',
        baseUrl: simulators.feishu.url,
        appId: simulators.feishu.credentials.appId,
        appSecret: simulators.feishu.credentials.appSecret,
        cacheTtlSeconds: 0,
      }),
      ...overrides.feishu,
    } as SourceConfig,
    {
      ...resolveSource({
        id: 'dingtalk',
        vendor: 'dingtalk',
        baseUrl: simulators.dingtalk.url,
        appKey: simulators.dingtalk.credentials.appKey,
        appSecret: simulators.dingtalk.credentials.appSecret,
        // The tests ask for fixed dates of 2024; the retention tests turn the rule on themselves.
        retentionDays: 0,
        cacheTtlSeconds: 0,
      }),
      ...overrides.dingtalk,
    } as SourceConfig,
  ]
}

/**
 * One app instance; replicas share Redis when given the same prefix. Every answer it sends is held against
 * its OpenAPI document (openapi-hook.ts).
 */
export async function startReplica(
  t: Test,
  sources: SourceConfig[],
  options: { redisKeyPrefix?: string; config?: Partial<Config> } = {},
) {
  const logs = new LogCapture()
  const redactor = new SecretRedactor()
  const config = testConfig({
    sources,
    redisUrl: testRedisUrl,
    redisKeyPrefix: options.redisKeyPrefix ?? uniquePrefix(),
    ...options.config,
  })
  const app = await buildApp({
    config,
    redactor,
    logger: createLogger({ level: config.logLevel, redactor, destination: logs }),
  })
  t.teardown(() => app.close())
  const openapi = checkEveryAnswer(app, t)
  await app.ready()
  return { app, logs, openapi }
}

export function userList(source: string, count: number, prefix = 'u'): string[] {
  return Array.from({ length: count }, (_, i) => `${source}:${prefix}${String(i).padStart(4, '0')}`)
}

/**
 * `days` consecutive work dates ending `endDaysAgo` days before today in Asia/Shanghai: for tests whose
 * DingTalk source keeps the vendor's 180-day retention (fixed 2024 dates would be out of it).
 */
export function recentRange(days: number, endDaysAgo = 7): { from: string; to: string } {
  const today = parseWorkDate(workDateInZone(Date.now(), 'Asia/Shanghai')) as number
  return { from: formatWorkDate(today - endDaysAgo - days + 1), to: formatWorkDate(today - endDaysAgo) }
}
