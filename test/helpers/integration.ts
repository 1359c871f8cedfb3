// Integration set-up: the vendor simulators over real HTTP and app replicas on real Redis.
import type { Test } from 'tap'
import { buildApp } from '../../src/app.js'
import type { Config } from '../../src/config/config.js'
import { resolveSource, type SourceConfig } from '../../src/config/source-config.js'
import { createLogger } from '../../src/logging/logger.js'
import { SecretRedactor } from '../../src/logging/secret-redactor.js'
import {
  type DingTalkSimulator,
  type DingTalkSimulatorOptions,
  type FeishuSimulator,
  type FeishuSimulatorOptions,
  startDingTalkSimulator,
  startFeishuSimulator,
} from '../../src/simulators/index.js'
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
      }),
      ...overrides.dingtalk,
    } as SourceConfig,
  ]
}

/** One app instance; replicas share Redis when given the same prefix. */
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
  await app.ready()
  return { app, logs }
}

export function userList(source: string, count: number, prefix = 'u'): string[] {
  return Array.from({ length: count }, (_, i) => `${source}:${prefix}${String(i).padStart(4, '0')}`)
}
