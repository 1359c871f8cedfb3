import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { type ApiKey, ApiKeyRing, bearerToken } from '../../../config/api-keys.js'
import { UnauthorizedError } from '../../../errors/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest hook of the routes that serve vendor data: with API keys configured, answers 401 unless the
     * request carries `Authorization: Bearer <key>` with one of them.
     */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
  interface FastifyRequest {
    /** The configured key the request presented; null without one, with a wrong one, or on an open API. */
    readonly apiKey: ApiKey | null
  }
}

/** Bearer API keys (API_KEYS, API_KEYS_FILE). Which routes need one is each route's call (`onRequest`). */
async function authPlugin(fastify: FastifyInstance) {
  const ring = new ApiKeyRing(fastify.config.apiKeys)
  // Resolved once per request: the rate limiter asks first (to count per key), then authenticate.
  const resolved = new WeakMap<FastifyRequest, ApiKey | null>()

  fastify.decorateRequest('apiKey', {
    getter(this: FastifyRequest) {
      let key = resolved.get(this)
      if (key === undefined) {
        const token = ring.size > 0 ? bearerToken(this.headers.authorization) : null
        key = token === null ? null : ring.find(token)
        resolved.set(this, key)
      }
      return key
    },
  })

  fastify.decorate('authenticate', async (request: FastifyRequest, reply: FastifyReply) => {
    if (ring.size === 0) return
    const key = request.apiKey
    if (key) {
      // The request's log line then says which key read what.
      request.log = request.log.child({ apiKey: key.name })
      return
    }
    const header = request.headers.authorization
    const token = bearerToken(header)
    // RFC 6750 §3: a bare challenge when no key came, error="invalid_token" when a wrong one did.
    reply.header('www-authenticate', token === null ? 'Bearer' : 'Bearer error="invalid_token"')
    throw new UnauthorizedError(
      token !== null
        ? 'the API key is not valid'
        : header
          ? 'the Authorization header must be "Bearer <API key>"'
          : 'an API key is required: send "Authorization: Bearer <API key>"',
    )
  })

  if (ring.size > 0) {
    fastify.log.info({ apiKeys: ring.size }, 'API keys required on /attendance/* and /sources')
  } else if (fastify.demoMode) {
    fastify.log.warn('no API_KEYS: the demo API is open to anyone who can reach this port')
  } else {
    fastify.log.warn('authentication is disabled: anyone who can reach this port can read the vendor data')
  }
}

export default fp(authPlugin, { name: 'auth' })
