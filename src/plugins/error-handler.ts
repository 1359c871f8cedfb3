import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { escapeDisplayControls } from '../error-text.js'

/**
 * Every error leaves in Fastify's shape {statusCode, code, error, message}. Client errors keep their
 * message (it says what to fix), with the control and bidirectional characters that it may echo from the
 * request written as \uXXXX (error-text.ts); server errors are logged and answered with a generic message,
 * since their text can carry internals (a vendor URL, a stack).
 */
async function errorHandlerPlugin(fastify: FastifyInstance) {
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const statusCode =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
    const isOwn =
      typeof error.code === 'string' && (error.code.startsWith('ATT_') || error.code.startsWith('FST_'))
    if (statusCode >= 500 && !isOwn) {
      request.log.error({ err: error }, 'request failed')
      return reply.status(500).send({
        statusCode: 500,
        code: 'ATT_INTERNAL',
        error: 'Internal Server Error',
        message: 'the service failed to answer; the request id is in the x-request-id header',
      })
    }
    if (statusCode >= 500) request.log.warn({ code: error.code }, error.message)
    return reply.status(statusCode).send({
      statusCode,
      code: error.code ?? (error.validation ? 'FST_ERR_VALIDATION' : 'ATT_BAD_REQUEST'),
      error: httpStatusText(statusCode),
      message: escapeDisplayControls(error.message),
    })
  })

  fastify.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      statusCode: 404,
      code: 'ATT_NOT_FOUND',
      error: 'Not Found',
      // The path as sent: Node refuses a request line with raw bytes outside ASCII, so it is
      // percent-encoded text, never a control character.
      message: `no route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}`,
    })
  })
}

function httpStatusText(statusCode: number): string {
  return STATUS_CODES[statusCode] ?? 'Error'
}

export default fp(errorHandlerPlugin, { name: 'error-handler' })
