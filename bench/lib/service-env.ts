// The environment of a service process under benchmark: the simulators as its sources, Redis with a key
// prefix of its own (so no run inherits another's tokens or schedule), no API keys, no inbound limit.
//
// Every source is read from a sources file with `retentionDays: 0`: the benchmark month (May 2024) lies
// beyond DingTalk's half year, which the service would otherwise refuse to ask for, and the simulators
// hold it all the same. The fetch-path scenarios run with the result cache off (`cacheTtlSeconds: 0`),
// so that they measure what they did before the cache existed (every query pays its vendor calls) and
// leave no entries in the shared Redis; the cache-* scenarios turn it on (cachedSourcesEnv).
import { randomUUID } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
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

/** The services' log level (to a file); the baselines that stand beside a service log at the same. */
export const SERVICE_LOG_LEVEL = 'info'

const COMMON = {
  AUTH_DISABLED: 'true',
  // The inbound per-client limit (120/min by default) would refuse a load generator; it is not measured here.
  RATE_LIMIT_PER_MINUTE: '0',
  MAX_USERS: '5000',
  QUERY_TIMEOUT_MS: '600000',
  LOG_LEVEL: SERVICE_LOG_LEVEL,
}

type SourceSettings = Record<string, number>

function sourcesFile(
  simulators: SimulatorsProcess,
  prefix: string,
  dir: string,
  settings: SourceSettings,
): string {
  const file = join(dir, `sources-${prefix.replaceAll(':', '-')}${randomUUID().slice(0, 4)}.json`)
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
          retentionDays: 0,
          ...settings,
        },
        {
          id: 'dingtalk',
          vendor: 'dingtalk',
          appKey: 'simulator-key',
          appSecret: 'simulator-secret',
          baseUrl: simulators.dingtalkUrl,
          retentionDays: 0,
          ...settings,
        },
      ],
    }),
  )
  return file
}

let defaultDir: string | undefined

/** Default source settings (90% of the vendors' limits, 10 calls in flight a query), the cache off. */
export function defaultSourcesEnv(simulators: SimulatorsProcess, prefix: string): Record<string, string> {
  defaultDir ??= mkdtempSync(join(os.tmpdir(), 'attendance-bench-sources-'))
  const file = sourcesFile(simulators, prefix, defaultDir, { cacheTtlSeconds: 0 })
  return { ...COMMON, REDIS_URL: redisUrl(), REDIS_KEY_PREFIX: prefix, SOURCES_FILE: file }
}

/** Outbound limits raised out of the way, the cache off. */
export function unlimitedSourcesEnv(
  simulators: SimulatorsProcess,
  prefix: string,
  workDir: string,
  options: { redisUrl?: string } = {},
): Record<string, string> {
  const file = sourcesFile(simulators, prefix, workDir, { rateLimitPerSecond: 10_000, cacheTtlSeconds: 0 })
  return {
    ...COMMON,
    REDIS_URL: options.redisUrl ?? redisUrl(),
    REDIS_KEY_PREFIX: prefix,
    SOURCES_FILE: file,
  }
}

/**
 * The result cache on, as a deployment has it (cacheTtlSeconds 21600: the benchmark month is settled), at
 * the default outbound limits unless `rateLimitPerSecond` is given.
 */
export function cachedSourcesEnv(
  simulators: SimulatorsProcess,
  prefix: string,
  workDir: string,
  options: { rateLimitPerSecond?: number; redisUrl?: string } = {},
): Record<string, string> {
  const settings: SourceSettings = { cacheTtlSeconds: 21_600 }
  if (options.rateLimitPerSecond) settings.rateLimitPerSecond = options.rateLimitPerSecond
  const file = sourcesFile(simulators, prefix, workDir, settings)
  return {
    ...COMMON,
    REDIS_URL: options.redisUrl ?? redisUrl(),
    REDIS_KEY_PREFIX: prefix,
    SOURCES_FILE: file,
  }
}
