// Environment + sources file → one validated, typed Config. Start-up fails fast on a bad value with a
// message naming the field; values are never echoed, so a secret in the wrong field is never printed.
import { readFileSync } from 'node:fs'
import { getHeapStatistics } from 'node:v8'
import { isValidTimeZone } from '../platform/time/zoned-time.js'
import { DEFAULT_MAX_CACHE_ENTRIES } from '../store/memory-store.js'
import type { ApiKey } from './api-keys.js'
import { ApiKeysError, loadApiKeys } from './api-keys-config.js'
import { ConfigError } from './config-error.js'
import { type Person, readPeopleFile } from './people-config.js'
import {
  CACHE_DEFAULTS,
  type CacheDefaults,
  DingTalkSourceInput,
  eventsProblem,
  FeishuSourceInput,
  resolveSource,
  type SourceConfig,
  type SourceInput,
} from './source-config.js'
import { validated } from './validated.js'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface Config {
  port: number
  host: string
  logLevel: LogLevel
  /** REDIS_URL in url mode (undefined in the other modes); kept for code that only knows a URL. */
  redisUrl: string | undefined
  /** How to reach Redis (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES); undefined: no Redis. */
  redis: RedisSettings | undefined
  redisKeyPrefix: string
  /** Replicas expected to share the vendor limits; each takes 1/n of them while Redis is away. */
  expectedReplicas: number
  maxRangeDays: number
  maxUsers: number
  /** Deadline of one query, vendor calls included. */
  queryTimeoutMs: number
  /** A streamed answer whose client has not taken its buffered bytes for this long is ended. */
  streamStallMs: number
  connections: ConnectionLimits
  /** Configured sources; empty means demo mode (the app starts the simulators and configures them). */
  sources: SourceConfig[]
  /** Keys that may call /attendance/* and /sources; empty: the API is open (demo mode or AUTH_DISABLED). */
  apiKeys: ApiKey[]
  /** AUTH_DISABLED=true: serve configured vendor sources without API keys, on purpose. */
  authDisabled: boolean
  /** Inbound requests a minute per API key (per IP without one); 0 disables the limit. */
  rateLimitPerMinute: number
  /** Cache entries kept by the in-memory store (no REDIS_URL); past it the least recently used go. */
  cacheMaxEntries: number
  /** Load shedding: past either bound new requests get 503 with Retry-After (0 turns a bound off). */
  pressure: {
    maxEventLoopDelayMs: number
    maxHeapUsedBytes: number
    retryAfterSeconds: number
  }
  exports: ExportConfig
  /**
   * TRUST_PROXY: which proxies' X-Forwarded-For to believe (Fastify's trustProxy): false (default),
   * true (any), or a comma-separated list of addresses / CIDRs (the load balancer's network).
   */
  trustProxy: boolean | string[]
  /** How long the change feed keeps what changed (CHANGES_RETENTION_DAYS). */
  changesRetentionDays: number
  /** Vendor events a minute per source (all replicas), counted once they passed the vendor's check; past it, 429. */
  eventsPerMinute: number
  /** Event requests that failed the vendor's check, a minute per client address (all replicas); past it, 429. */
  eventsFailuresPerMinute: number
  /** PEOPLE_FILE, reread on SIGHUP; undefined without one. */
  peopleFile: string | undefined
  /** The people of PEOPLE_FILE (empty without one). */
  people: Person[]
}

/** What one client connection may hold: each phase of a request is bounded, and so is their number. */
export interface ConnectionLimits {
  /** From the connection (or the end of the previous request) until the request's headers are in. */
  headersTimeoutMs: number
  /** Until the whole request, body included, is in (not the answer: sending it is not bounded here). */
  requestTimeoutMs: number
  /** An idle keep-alive connection between two requests. */
  keepAliveTimeoutMs: number
  /** A socket on which nothing is sent or received, in any phase; 0: none. */
  idleTimeoutMs: number
  /** Client connections open at once on this replica; past it a new connection is closed at once. */
  maxConnections: number
}

export interface ExportConfig {
  /** How long a finished job's file is kept (and served); the job record is kept a week longer. */
  ttlSeconds: number
  /** Queued or running jobs per API key; past it, 429. */
  maxActivePerKey: number
  /** Jobs this replica runs at once. */
  concurrency: number
  /** A job whose file would pass this fails with EXPORT_FILE_TOO_LARGE. */
  maxFileBytes: number
  /** A job claimed by a replica that stopped renewing its lock is taken over after this long. */
  lockSeconds: number
  /** Deadline of one run of a job, vendor calls included. */
  timeoutSeconds: number
}

export interface RedisAddress {
  host: string
  port: number
}

interface RedisAuth {
  /** REDIS_PASSWORD: the data nodes' password (in url mode a password inside the URL takes precedence). */
  password?: string
  /** REDIS_TLS=true: TLS to the data nodes (in url mode rediss:// turns it on as well). */
  tls: boolean
}

export type RedisSettings =
  | ({ mode: 'url'; url: string } & RedisAuth)
  | ({ mode: 'sentinel'; sentinels: RedisAddress[]; name: string; sentinelPassword?: string } & RedisAuth)
  | ({ mode: 'cluster'; nodes: RedisAddress[] } & RedisAuth)

/**
 * The Redis settings in force. `redisUrl` stays authoritative in url mode, so code (and tests) that set
 * only it keep working; sentinel and cluster modes come from `redis` alone.
 */
export function redisSettingsOf(config: Pick<Config, 'redis' | 'redisUrl'>): RedisSettings | undefined {
  if (config.redis && config.redis.mode !== 'url') return config.redis
  if (!config.redisUrl) return undefined
  if (config.redis?.mode === 'url') return { ...config.redis, url: config.redisUrl }
  return { mode: 'url', url: config.redisUrl, tls: false }
}

export { ConfigError }

type Env = Record<string, string | undefined>

export function loadConfig(env: Env = process.env): Config {
  const config: Config = {
    port: integer(env, 'PORT', 3000, 0, 65_535),
    host: env.HOST?.trim() || '0.0.0.0',
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    redisUrl: redisUrl(env),
    redis: redisSettings(env),
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? 'attendance:',
    expectedReplicas: integer(env, 'EXPECTED_REPLICAS', 3, 1, 1000),
    maxRangeDays: integer(env, 'MAX_RANGE_DAYS', 93, 1, 3660),
    maxUsers: integer(env, 'MAX_USERS', 5000, 1, 1_000_000),
    queryTimeoutMs: integer(env, 'QUERY_TIMEOUT_MS', 600_000, 1000, 3_600_000),
    streamStallMs: integer(env, 'STREAM_STALL_MS', 30_000, 100, 3_600_000),
    connections: connectionLimits(env),
    sources: loadSources(env, {
      cacheTtlSeconds: integer(env, 'CACHE_TTL_SECONDS', CACHE_DEFAULTS.cacheTtlSeconds, 0, 31_536_000),
      recentCacheTtlSeconds: integer(
        env,
        'RECENT_CACHE_TTL_SECONDS',
        CACHE_DEFAULTS.recentCacheTtlSeconds,
        0,
        31_536_000,
      ),
      settleDays: integer(env, 'SETTLE_DAYS', CACHE_DEFAULTS.settleDays, 0, 366),
    }),
    cacheMaxEntries: integer(env, 'CACHE_MAX_ENTRIES', DEFAULT_MAX_CACHE_ENTRIES, 0, 100_000_000),
    apiKeys: apiKeys(env),
    authDisabled: oneOf(env, 'AUTH_DISABLED', ['true', 'false'], 'false') === 'true',
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 120, 0, 1_000_000),
    pressure: {
      maxEventLoopDelayMs: integer(env, 'MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 600_000),
      // 90% of V8's heap limit by default: past it the process is close to an out-of-memory crash.
      maxHeapUsedBytes: integer(
        env,
        'MAX_HEAP_USED_BYTES',
        Math.floor(getHeapStatistics().heap_size_limit * 0.9),
        0,
        Number.MAX_SAFE_INTEGER,
      ),
      retryAfterSeconds: integer(env, 'PRESSURE_RETRY_AFTER_SECONDS', 10, 1, 3600),
    },
    trustProxy: trustProxy(env),
    changesRetentionDays: integer(env, 'CHANGES_RETENTION_DAYS', 35, 1, 3660),
    eventsPerMinute: integer(env, 'EVENTS_RATE_LIMIT_PER_MINUTE', 6000, 1, 1_000_000),
    eventsFailuresPerMinute: integer(env, 'EVENTS_FAILURES_PER_MINUTE', 60, 1, 1_000_000),
    peopleFile: env.PEOPLE_FILE?.trim() || undefined,
    // The accounts' sources are checked here when sources are configured, and by the app in demo mode.
    people: [],
    exports: {
      ttlSeconds: integer(env, 'EXPORT_TTL_SECONDS', 86_400, 1, 31_536_000),
      maxActivePerKey: integer(env, 'EXPORT_MAX_ACTIVE_PER_KEY', 3, 1, 1000),
      concurrency: integer(env, 'EXPORT_CONCURRENCY', 2, 1, 64),
      maxFileBytes: integer(env, 'EXPORT_MAX_FILE_BYTES', 512 * 1024 * 1024, 1024, 16 * 1024 ** 3),
      lockSeconds: integer(env, 'EXPORT_LOCK_SECONDS', 30, 1, 3600),
      timeoutSeconds: integer(env, 'EXPORT_TIMEOUT_SECONDS', 3600, 10, 86_400),
    },
  }
  if (config.peopleFile) {
    const sourceIds = config.sources.map((source) => source.id)
    config.people = readPeopleFile(config.peopleFile, sourceIds.length > 0 ? sourceIds : undefined)
  }
  if (config.sources.some((source) => source.id === 'person')) {
    throw new ConfigError('source id "person" is reserved: users "person:<id>" name people (PEOPLE_FILE)')
  }
  checkAccess(config)
  return config
}

/**
 * The idle-socket timeout must let the quietest answer through: a streamed answer is silent while the
 * source that sorts first is being fetched, and a strict one until it is whole, so at most QUERY_TIMEOUT_MS.
 */
const IDLE_MARGIN_MS = 60_000

function connectionLimits(env: Env): ConnectionLimits {
  const queryTimeoutMs = integer(env, 'QUERY_TIMEOUT_MS', 600_000, 1000, 3_600_000)
  const limits: ConnectionLimits = {
    headersTimeoutMs: integer(env, 'HEADERS_TIMEOUT_MS', 20_000, 1000, 3_600_000),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 60_000, 1000, 3_600_000),
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 1000, 3_600_000),
    idleTimeoutMs: integer(env, 'CONNECTION_TIMEOUT_MS', queryTimeoutMs + IDLE_MARGIN_MS, 0, 7_200_000),
    maxConnections: integer(env, 'MAX_CONNECTIONS', 1024, 1, 1_000_000),
  }
  // Node refuses a headers timeout longer than the request timeout that contains it.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError('HEADERS_TIMEOUT_MS must not be greater than REQUEST_TIMEOUT_MS')
  }
  return limits
}

function trustProxy(env: Env): boolean | string[] {
  const text = env.TRUST_PROXY?.trim() ?? ''
  if (text === '' || text === 'false') return false
  if (text === 'true') return true
  const entries = text.split(',').map((entry) => entry.trim())
  if (entries.every((entry) => /^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(entry))) return entries
  throw new ConfigError('TRUST_PROXY must be true, false, or comma-separated addresses / CIDRs')
}

function apiKeys(env: Env): ApiKey[] {
  try {
    return loadApiKeys(env)
  } catch (error) {
    if (error instanceof ApiKeysError) throw new ConfigError(error.message)
    throw error
  }
}

/** Real vendor data is never served to anyone who can reach the port unless someone said so explicitly. */
function checkAccess(config: Config): void {
  if (config.authDisabled && config.apiKeys.length > 0) {
    throw new ConfigError('AUTH_DISABLED=true and API keys are both set: choose one')
  }
  if (config.sources.length > 0 && config.apiKeys.length === 0 && !config.authDisabled) {
    throw new ConfigError(
      'vendor sources are configured but API_KEYS and API_KEYS_FILE are not: set one, or AUTH_DISABLED=true to serve without authentication',
    )
  }
  if (config.sources.length === 0) return
  const sourceIds = new Set(config.sources.map((source) => source.id))
  for (const key of config.apiKeys) {
    const unknown = key.sources?.find((id) => !sourceIds.has(id))
    if (unknown)
      throw new ConfigError(`API key "${key.name}" names source "${unknown}", which is not configured`)
  }
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name]?.trim()
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}`)
  }
  return value
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const text = env[name]?.trim()
  if (text === undefined || text === '') return fallback
  if (!(allowed as readonly string[]).includes(text)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}`)
  }
  return text as T
}

function redisUrl(env: Env): string | undefined {
  const text = env.REDIS_URL?.trim()
  if (!text) return undefined
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ConfigError('REDIS_URL must be a URL such as redis://host:6379/0')
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_URL must start with redis:// or rediss://')
  }
  return text
}

const REDIS_MODES = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const

function redisSettings(env: Env): RedisSettings | undefined {
  const given = REDIS_MODES.filter((name) => env[name]?.trim())
  if (given.length > 1) {
    throw new ConfigError(`${given.join(', ')} are all set: set only one of ${REDIS_MODES.join(', ')}`)
  }
  const dependents = ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD'].filter((name) => env[name]?.trim())
  if (given[0] !== 'REDIS_SENTINELS' && dependents.length > 0) {
    throw new ConfigError(`${dependents.join(' and ')} need REDIS_SENTINELS`)
  }
  const auth: RedisAuth = { tls: oneOf(env, 'REDIS_TLS', ['true', 'false'], 'false') === 'true' }
  // Passwords are taken as given (a space may be part of one); an empty value means none.
  if (env.REDIS_PASSWORD) auth.password = env.REDIS_PASSWORD
  if (given.length === 0) {
    const stray = ['REDIS_PASSWORD', 'REDIS_TLS'].filter((name) => env[name]?.trim())
    if (stray.length > 0)
      throw new ConfigError(`${stray.join(' and ')} need one of ${REDIS_MODES.join(', ')}`)
    return undefined
  }
  if (given[0] === 'REDIS_URL') {
    const url = redisUrl(env) as string
    return { mode: 'url', url, ...auth, tls: auth.tls || url.trim().startsWith('rediss:') }
  }
  if (given[0] === 'REDIS_CLUSTER_NODES') {
    return { mode: 'cluster', nodes: addresses(env, 'REDIS_CLUSTER_NODES'), ...auth }
  }
  const name = env.REDIS_SENTINEL_NAME?.trim()
  if (!name)
    throw new ConfigError('REDIS_SENTINELS needs REDIS_SENTINEL_NAME (the master group sentinels monitor)')
  const settings: RedisSettings = {
    mode: 'sentinel',
    sentinels: addresses(env, 'REDIS_SENTINELS'),
    name,
    ...auth,
  }
  if (env.REDIS_SENTINEL_PASSWORD) settings.sentinelPassword = env.REDIS_SENTINEL_PASSWORD
  return settings
}

/** `host:port,host:port`: a host name, IPv4 address or [IPv6] address, and a port from 1 to 65535. */
function addresses(env: Env, name: string): RedisAddress[] {
  const items = (env[name] ?? '').split(',').map((item) => item.trim())
  return items.map((item, index) => {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9][A-Za-z0-9.-]*)):(\d{1,5})$/.exec(item)
    const port = Number(match?.[3])
    if (!match || port < 1 || port > 65_535) {
      throw new ConfigError(
        `${name} entry ${index + 1} must be host:port (a comma-separated list, e.g. 10.0.0.1:26379,10.0.0.2:26379)`,
      )
    }
    return { host: (match[1] ?? match[2]) as string, port }
  })
}

function loadSources(env: Env, cacheDefaults: CacheDefaults): SourceConfig[] {
  const inputs: SourceInput[] = []
  if (env.SOURCES_FILE?.trim()) inputs.push(...readSourcesFile(env.SOURCES_FILE.trim()))
  inputs.push(...sourcesFromShortcuts(env))
  const seen = new Set<string>()
  return inputs.map((input, index) => {
    if (seen.has(input.id)) throw new ConfigError(`sources[${index}].id "${input.id}" is used twice`)
    seen.add(input.id)
    if (input.timezone !== undefined && !isValidTimeZone(input.timezone)) {
      throw new ConfigError(`sources[${index}].timezone is not an IANA time zone`)
    }
    const source = resolveSource(input, cacheDefaults)
    const problem = eventsProblem(source)
    if (problem) throw new ConfigError(`sources[${index}].${problem}`)
    return source
  })
}

function readSourcesFile(path: string): SourceInput[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'not valid JSON'
    throw new ConfigError(`SOURCES_FILE ${path} cannot be read: ${reason}`)
  }
  const list = (parsed as { sources?: unknown } | null)?.sources
  if (!Array.isArray(list)) throw new ConfigError('SOURCES_FILE must hold {"sources": [ ... ]}')
  return list.map((item, index) => {
    const vendor = (item as { vendor?: unknown } | null)?.vendor
    if (vendor === 'feishu') return validated(FeishuSourceInput, item, `SOURCES_FILE sources[${index}]`)
    if (vendor === 'dingtalk') return validated(DingTalkSourceInput, item, `SOURCES_FILE sources[${index}]`)
    throw new ConfigError(`SOURCES_FILE sources[${index}].vendor must be "feishu" or "dingtalk"`)
  })
}

function sourcesFromShortcuts(env: Env): SourceInput[] {
  const inputs: SourceInput[] = []
  const feishu = [env.FEISHU_APP_ID, env.FEISHU_APP_SECRET]
  if (feishu.some(Boolean)) {
    if (!feishu.every(Boolean))
      throw new ConfigError('FEISHU_APP_ID and FEISHU_APP_SECRET must be set together')
    const input = {
      id: 'feishu',
      vendor: 'feishu',
      appId: env.FEISHU_APP_ID,
      appSecret: env.FEISHU_APP_SECRET,
    }
    inputs.push(validated(FeishuSourceInput, withBaseUrl(input, env.FEISHU_BASE_URL), 'FEISHU_*'))
  }
  const dingtalk = [env.DINGTALK_APP_KEY, env.DINGTALK_APP_SECRET]
  if (dingtalk.some(Boolean)) {
    if (!dingtalk.every(Boolean)) {
      throw new ConfigError('DINGTALK_APP_KEY and DINGTALK_APP_SECRET must be set together')
    }
    const input = {
      id: 'dingtalk',
      vendor: 'dingtalk',
      appKey: env.DINGTALK_APP_KEY,
      appSecret: env.DINGTALK_APP_SECRET,
    }
    inputs.push(validated(DingTalkSourceInput, withBaseUrl(input, env.DINGTALK_BASE_URL), 'DINGTALK_*'))
  }
  return inputs
}

function withBaseUrl(input: Record<string, unknown>, baseUrl: string | undefined) {
  return baseUrl?.trim() ? { ...input, baseUrl: baseUrl.trim() } : input
}
