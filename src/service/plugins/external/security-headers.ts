import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * The Content-Security-Policy of the Swagger UI pages (set by @fastify/swagger-ui's `staticCSP` on its own
 * routes). Its bundle needs no inline script; inline styles stay allowed because the UI sets some. No
 * `upgrade-insecure-requests`: on a plain-HTTP intranet host it would send the UI's assets to https and break
 * the page.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
].join('; ')

/**
 * Helmet's headers on every answer, with the strictest CSP for what is mostly JSON: nothing may load, nothing
 * may frame it. Answers that do not say otherwise are not cached: they carry people's attendance.
 */
async function securityHeadersPlugin(fastify: FastifyInstance) {
  await fastify.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
  })
  fastify.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
  })
}

export default fp(securityHeadersPlugin, { name: 'security-headers' })
