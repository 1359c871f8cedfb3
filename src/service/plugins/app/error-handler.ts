import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify'
import fp from 'fastify-plugin'
import { isCatalogued } from '../../../errors/catalogue.js'
import { escapeDisplayControls } from '../../../errors/error-text.js'

/**
 * Every error leaves in Fastify's shape {statusCode, code, error, message}. Client errors keep their
 * message (it says what to fix), with the control and bidirectional characters that it may echo from the
 * request written as \uXXXX (error-text.ts); server errors are logged and answered with a generic message,
 * since their text can carry internals (a vendor URL, a stack). Only the codes of the catalogue
 * (error-catalogue.ts) go out, each with its status: the document promises no other. A 5xx outside it is a
 * failure like any other; a 4xx outside it (a plugin's error the catalogue does not know yet) keeps its
 * status and message but goes out as ATT_BAD_REQUEST, logged so that the catalogue can be completed.
 *
 * A request no route takes is 405 with `Allow` when its path is served with other methods (RFC 9110
 * §15.5.6: a client learns what it may send there), and 404 otherwise.
 */
async function errorHandlerPlugin(fastify: FastifyInstance) {
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const statusCode =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
    const given = error.code ?? (error.validation ? 'FST_ERR_VALIDATION' : 'ATT_BAD_REQUEST')
    const catalogued = isCatalogued(given, statusCode)
    if (statusCode >= 500 && !catalogued) {
      request.log.error({ err: error }, 'request failed')
      return reply.status(500).send({
        statusCode: 500,
        code: 'ATT_INTERNAL',
        error: 'Internal Server Error',
        message: 'the service failed to answer; the request id is in the x-request-id header',
      })
    }
    if (statusCode >= 500) request.log.warn({ code: given }, error.message)
    if (!catalogued) {
      request.log.warn({ code: given, statusCode }, 'an error code outside src/errors/catalogue.ts')
    }
    return reply.status(statusCode).send({
      statusCode,
      code: catalogued ? given : 'ATT_BAD_REQUEST',
      error: httpStatusText(statusCode),
      message: escapeDisplayControls(error.message),
    })
  })

  // The methods of every route (HEAD included: Fastify adds one to each GET route), to find those a path
  // takes when a request's method has no route there.
  const routedMethods = new Set<HTTPMethods>()
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routedMethods.add(method)
  })

  fastify.setNotFoundHandler((request, reply) => {
    // The path as sent: Node refuses a request line with raw bytes outside ASCII, so it is percent-encoded
    // text, never a control character.
    const path = request.url.split('?')[0] ?? ''
    const allowed = [...routedMethods].filter((method) => fastify.findRoute({ method, url: path }) !== null)
    if (allowed.length > 0) return methodNotAllowed(request, reply, path.slice(0, 200), allowed.sort())
    return reply.status(404).send({
      statusCode: 404,
      code: 'ATT_NOT_FOUND',
      error: 'Not Found',
      message: `no route ${request.method} ${path.slice(0, 200)}`,
    })
  })
}

function methodNotAllowed(request: FastifyRequest, reply: FastifyReply, path: string, allowed: string[]) {
  const allow = allowed.join(', ')
  return reply
    .status(405)
    .header('allow', allow)
    .send({
      statusCode: 405,
      code: 'ATT_METHOD_NOT_ALLOWED',
      error: 'Method Not Allowed',
      message: `${request.method} is not allowed on ${path}; it takes ${allow}`,
    })
}

function httpStatusText(statusCode: number): string {
  return STATUS_CODES[statusCode] ?? 'Error'
}

export default fp(errorHandlerPlugin, { name: 'error-handler' })
