import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { redisSettingsOf } from '../../../config/config.js'
import { RateLimitedError } from '../../../errors/errors.js'
import { createRedisConnection, type RedisClient, waitUntilReady } from '../../../store/redis-connection.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest hook of the routes that serve vendor data: at most RATE_LIMIT_PER_MINUTE requests a minute
     * per API key (per client address without a valid key), 429 with Retry-After beyond that.
     */
    apiRateLimit: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
}

const WINDOW_MS = 60_000

/**
 * Inbound rate limit, counted in Redis when Redis is configured (any mode: its one script touches one key) so that every replica draws from one budget.
 * A Redis that is away never fails a request: the limit is skipped (not enforced) until it is back.
 */
async function rateLimitPlugin(fastify: FastifyInstance) {
  const { rateLimitPerMinute, apiKeys, redisKeyPrefix } = fastify.config
  const settings = redisSettingsOf(fastify.config)
  const limitOf = (request: FastifyRequest) => request.apiKey?.rateLimitPerMinute ?? rateLimitPerMinute
  if (rateLimitPerMinute === 0 && !apiKeys.some((key) => key.rateLimitPerMinute)) {
    fastify.decorate('apiRateLimit', async () => {})
    return
  }

  let redis: RedisClient | undefined
  if (settings) {
    // A client of its own (@fastify/rate-limit defines its own commands on it), set up by the same factory
    // as the store's: commands fail at once while Redis is away. A short deadline: a request must not wait
    // on a hung Redis to be counted; skipOnError lets it through instead.
    redis = createRedisConnection({ settings, keyPrefix: redisKeyPrefix, commandTimeoutMs: 500 })
    const client = redis
    fastify.addHook('onClose', async () => {
      try {
        await client.quit()
      } catch {
        client.disconnect()
      }
    })
    // Like the store, wait briefly for the first connection: requests served before it would go uncounted.
    if (!(await waitUntilReady(client, 2000))) {
      fastify.log.error('Redis does not answer at start-up: the inbound rate limit is off until it does')
    }
  }

  await fastify.register(rateLimit, {
    global: false,
    max: (request) => limitOf(request),
    timeWindow: WINDOW_MS,
    // A key's own limit of 0 means unlimited for that key.
    allowList: (request) => limitOf(request) === 0,
    keyGenerator: (request) => (request.apiKey ? `key:${request.apiKey.name}` : `ip:${request.ip}`),
    skipOnError: true,
    ...(redis ? { redis, nameSpace: 'inbound-rate-limit:' } : {}),
    errorResponseBuilder: (request, context) => {
      const { max, ttl } = context as { max: number; ttl: number }
      return new RateLimitedError(
        max,
        request.apiKey ? 'API key' : 'client address',
        Math.max(1, Math.ceil(ttl / 1000)),
      )
    },
  })
  const hook = fastify.rateLimit()
  fastify.decorate('apiRateLimit', async (request: FastifyRequest, reply: FastifyReply) => {
    await hook.call(fastify, request, reply)
  })
}

export default fp(rateLimitPlugin, { name: 'rate-limit', dependencies: ['auth'] })
