import type { Logger } from 'pino'
import { type RedisSettings, redisSettingsOf } from '../config/config.js'
import { MemoryStore } from './memory-store.js'
import { RedisStore } from './redis-store.js'
import { ResilientStore } from './resilient-store.js'
import type { AppStore } from './shared-store.js'

export interface StoreConfig {
  redisUrl: string | undefined
  redis?: RedisSettings | undefined
  redisKeyPrefix: string
  expectedReplicas: number
  /** Bound of the in-memory result cache (no REDIS_URL). */
  cacheMaxEntries?: number
}

export type { AppStore }

/**
 * Redis (with a local fallback while it is away) when Redis is configured (REDIS_URL, REDIS_SENTINELS or
 * REDIS_CLUSTER_NODES); otherwise process memory. Waits
 * for the first Redis connection, so that a replica does not start on local state (and its own token and
 * rate schedule) while its peers share Redis; an unreachable Redis is logged and served by the fallback.
 */
export async function createStore(config: StoreConfig, log: Logger): Promise<AppStore> {
  const settings = redisSettingsOf({ redis: config.redis, redisUrl: config.redisUrl })
  if (!settings) {
    log.warn(
      'Redis is not configured (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES): tokens, rate limits and the result cache are kept in this process only (run one replica)',
    )
    return new MemoryStore({ maxCacheEntries: config.cacheMaxEntries })
  }
  const redis = new RedisStore({ settings, keyPrefix: config.redisKeyPrefix })
  if (!(await redis.connected(3000))) {
    log.error('Redis does not answer at start-up: serving from local state until it does')
  }
  return new ResilientStore(redis, {
    expectedReplicas: config.expectedReplicas,
    onModeChange: (health) => {
      if (health.mode === 'shared') log.info('shared store (Redis) is back: using it again')
      else
        log.error(
          { expectedReplicas: config.expectedReplicas },
          'shared store (Redis) is not answering: serving from local state, rate limits divided by expectedReplicas, until a background probe sees it answer again',
        )
    },
  })
}
