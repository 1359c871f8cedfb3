// The environment of a service process under benchmark: the simulators as its sources, Redis with a key
// prefix of its own (so no run inherits another's tokens or schedule), no API keys, no inbound limit.
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SimulatorsProcess } from './processes.js'

export function redisUrl(): string {
  const url = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL
  if (!url) throw new Error('no Redis: run through `npm run bench` (it provides TEST_REDIS_URL)')
  return url
}

export function freshPrefix(): string {
  return `bench:${randomUUID().slice(0, 8)}:`
}

const COMMON = {
  AUTH_DISABLED: 'true',
  // The inbound per-client limit (120/min by default) would refuse a load generator; it is not measured here.
  RATE_LIMIT_PER_MINUTE: '0',
  MAX_USERS: '5000',
  QUERY_TIMEOUT_MS: '600000',
  LOG_LEVEL: 'info',
}

/** Default source settings (90% of the vendors' limits, 10 calls in flight a query), via the shortcuts. */
export function defaultSourcesEnv(simulators: SimulatorsProcess, prefix: string): Record<string, string> {
  return {
    ...COMMON,
    REDIS_URL: redisUrl(),
    REDIS_KEY_PREFIX: prefix,
    FEISHU_APP_ID: 'cli_simulator',
    FEISHU_APP_SECRET: 'simulator-secret',
    FEISHU_BASE_URL: simulators.feishuUrl,
    DINGTALK_APP_KEY: 'simulator-key',
    DINGTALK_APP_SECRET: 'simulator-secret',
    DINGTALK_BASE_URL: simulators.dingtalkUrl,
  }
}

/** Outbound limits raised out of the way (a sources file: the shortcuts cannot set them). */
export function unlimitedSourcesEnv(
  simulators: SimulatorsProcess,
  prefix: string,
  workDir: string,
): Record<string, string> {
  const file = join(workDir, `sources-${prefix.replaceAll(':', '-')}json`)
  const common = { rateLimitPerSecond: 10_000 }
  writeFileSync(
    file,
    JSON.stringify({
      sources: [
        {
          id: 'feishu',
          vendor: 'feishu',
          appId: 'cli_simulator',
          appSecret: 'simulator-secret',
          baseUrl: simulators.feishuUrl,
          ...common,
        },
        {
          id: 'dingtalk',
          vendor: 'dingtalk',
          appKey: 'simulator-key',
          appSecret: 'simulator-secret',
          baseUrl: simulators.dingtalkUrl,
          ...common,
        },
      ],
    }),
  )
  return { ...COMMON, REDIS_URL: redisUrl(), REDIS_KEY_PREFIX: prefix, SOURCES_FILE: file }
}
