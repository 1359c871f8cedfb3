// The one way this service connects to Redis, so that every client (the store, the inbound rate limit, the
// export files, the job queue) reaches the same Redis the same way — one server by URL, a Sentinel-managed
// master, or a Cluster — and behaves the same while Redis is away: commands fail fast instead of queueing,
// and reconnecting goes on in the background.
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'
import type { RedisSettings } from '../config/config.js'

/** A client of any mode: both classes take the same commands (a Cluster routes each by its key's slot). */
export type RedisClient = Redis | Cluster

export type RedisConnectionOptions = {
  keyPrefix: string
  /**
   * Per-command deadline. A Redis that hangs (SIGSTOP, a partition, a failover without RST) keeps the
   * connection open and never answers; this is how long a command waits before it counts as a failure.
   * Store commands take well under a millisecond, so a deadline of a second is only reached by a Redis
   * that is away or a process whose event loop is stalled for that long.
   */
  commandTimeoutMs?: number
} & ({ url: string } | { settings: RedisSettings })

export const DEFAULT_COMMAND_TIMEOUT_MS = 1000

const retryStrategy = (attempt: number) => Math.min(attempt * 100, 1000)

export function createRedisConnection(options: RedisConnectionOptions): RedisClient {
  const settings =
    'settings' in options ? options.settings : { mode: 'url' as const, url: options.url, tls: false }
  const redis = connect(settings, {
    keyPrefix: options.keyPrefix,
    // Fail commands at once while disconnected instead of queueing them: callers fall back to local
    // state, and ioredis keeps reconnecting in the background so the shared state comes back by itself.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
  })
  // Without a listener ioredis logs every failed reconnect itself; the readiness probe reports it instead.
  redis.on('error', () => {})
  return redis
}

/**
 * A connection for BullMQ, from the same settings: its workers block on Redis and must retry forever and
 * queue while it is away (BullMQ's documented setting), and it sets its own key prefix (hash-tagged).
 */
export function createQueueConnection(settings: RedisSettings): RedisClient {
  const redis = connect(settings, { maxRetriesPerRequest: null })
  redis.on('error', () => {})
  return redis
}

interface ClientOptions {
  keyPrefix?: string
  enableOfflineQueue?: boolean
  maxRetriesPerRequest: number | null
  commandTimeout?: number
}

function connect(settings: RedisSettings, client: ClientOptions): RedisClient {
  const { enableOfflineQueue, ...perNode } = client
  const auth: RedisOptions = {
    ...perNode,
    connectTimeout: 2000,
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ...(settings.tls ? { tls: {} } : {}),
  }
  if (settings.mode === 'cluster') {
    const options: ClusterOptions = {
      // The prefix goes on the Cluster itself: the slot is computed from the prefixed key, whose first
      // {…} is the key's hash tag (a prefix without braces leaves the tag in force).
      ...(client.keyPrefix !== undefined ? { keyPrefix: client.keyPrefix } : {}),
      ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
      clusterRetryStrategy: retryStrategy,
      // A node that went away comes back without a restart once the topology is refreshed (MOVED or the
      // periodic refresh); reconnecting a node by itself keeps the gap short for a master that restarts.
      clusterNodeRetryStrategy: retryStrategy,
      slotsRefreshTimeout: 2000,
      redisOptions: auth,
    }
    return new Cluster(settings.nodes, options)
  }
  const common: RedisOptions = {
    ...auth,
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    retryStrategy,
    lazyConnect: false,
  }
  if (settings.mode === 'sentinel') {
    // ioredis asks the sentinels for the master of `name` on every (re)connect: after a failover the
    // client follows the new master by itself.
    return new Redis({
      ...common,
      sentinels: settings.sentinels,
      name: settings.name,
      ...(settings.sentinelPassword !== undefined ? { sentinelPassword: settings.sentinelPassword } : {}),
      ...(settings.tls ? { enableTLSForSentinelMode: true } : {}),
      sentinelRetryStrategy: retryStrategy,
    })
  }
  return new Redis(settings.url, common)
}

/** Resolves true once the client's connection is up, false when it is not up within `timeoutMs`. */
export function waitUntilReady(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true)
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer)
      redis.off('ready', onReady)
      resolve(ok)
    }
    const onReady = () => done(true)
    const timer = setTimeout(() => done(false), timeoutMs)
    redis.once('ready', onReady)
  })
}
