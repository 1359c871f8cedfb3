// The one way this service connects to Redis, so that every client (the store, the inbound rate limit)
// behaves the same while Redis is away: commands fail fast instead of queueing, and reconnecting goes on in
// the background.
import { Redis } from 'ioredis'

export interface RedisConnectionOptions {
  url: string
  keyPrefix: string
  /**
   * Per-command deadline. A Redis that hangs (SIGSTOP, a partition, a failover without RST) keeps the
   * connection open and never answers; this is how long a command waits before it counts as a failure.
   * Store commands take well under a millisecond, so a deadline of a second is only reached by a Redis
   * that is away or a process whose event loop is stalled for that long.
   */
  commandTimeoutMs?: number
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 1000

export function createRedisConnection(options: RedisConnectionOptions): Redis {
  const redis = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    // Fail commands at once while disconnected instead of queueing them: callers fall back to local
    // state, and ioredis keeps reconnecting in the background so the shared state comes back by itself.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    lazyConnect: false,
  })
  // Without a listener ioredis logs every failed reconnect itself; the readiness probe reports it instead.
  redis.on('error', () => {})
  return redis
}

/** Resolves true once the client's connection is up, false when it is not up within `timeoutMs`. */
export function waitUntilReady(redis: Redis, timeoutMs: number): Promise<boolean> {
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
