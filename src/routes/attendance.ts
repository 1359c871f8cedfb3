import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { QueryInput } from '../attendance/parse-query.js'
import { type Admission, SourcesBusyError } from '../attendance/query-service.js'
import { IncompleteResultError, SourcesAtCapacityError } from '../errors.js'
import { accessErrorResponses, apiKeySecurity, forbiddenSourceResponse } from '../schemas/access.js'
import { AttendanceBody, AttendanceQuerystring, AttendanceResponse } from '../schemas/attendance-query.js'
import { ErrorResponse } from '../schemas/error.js'
import { attendanceExamples } from './attendance-examples.js'
import { streamAnswer } from './attendance-stream.js'
import { readableQuery } from './readable-query.js'

function errorExample(statusCode: number, code: string, error: string, message: string) {
  return { statusCode, code, error, message }
}

const errorResponses = {
  400: {
    ...ErrorResponse,
    description:
      'Invalid input: bad or impossible date, reversed or too long range, unknown source, malformed user, too many users, wrong types.',
  },
  413: {
    ...ErrorResponse,
    description: 'The body is larger than the limit.',
    examples: [
      errorExample(413, 'FST_ERR_CTP_BODY_TOO_LARGE', 'Payload Too Large', 'Request body is too large'),
    ],
  },
  415: {
    ...ErrorResponse,
    description: 'POST without a JSON body.',
    examples: [
      errorExample(415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE', 'Unsupported Media Type', 'Unsupported Media Type'),
    ],
  },
  502: {
    ...ErrorResponse,
    description: 'Only with `strict=true`: the result is not complete.',
    examples: [
      errorExample(
        502,
        'ATT_INCOMPLETE_RESULT',
        'Bad Gateway',
        'the result is not complete and strict=true: sources not ok: dingtalk',
      ),
    ],
  },
  503: {
    ...ErrorResponse,
    description:
      'Load shedding, with a `Retry-After` header: `ATT_SOURCES_BUSY` when a source already runs and queues as many queries as it may (`maxConcurrentQueries`, `maxQueuedQueries`), `ATT_OVERLOADED` when this replica is under pressure (event-loop delay or heap). Retry after the given seconds, or on another replica.',
    examples: [
      errorExample(
        503,
        'ATT_SOURCES_BUSY',
        'Service Unavailable',
        'source(s) dingtalk already run and queue as many queries as they may; retry in 5 s',
      ),
    ],
  },
  ...accessErrorResponses,
  ...forbiddenSourceResponse,
}

/** What a refused query is told to wait: a queued query at the vendors' rates takes seconds, not minutes. */
const BUSY_RETRY_AFTER_SECONDS = 5

const description = [
  'Attendance results of the named users over an inclusive range of work dates, from every source the users',
  'belong to, normalized into one schema. The service splits the query into the fewest vendor calls their',
  "limits allow, runs them at (never above) the vendors' rate limits, and reports per source what it did and",
  'what, if anything, is missing. One failing source never fails the others: check `complete`, or pass',
  '`strict=true` to get a 502 instead of an incomplete 200.',
  'The answer is streamed: days are written as they complete, so its keys come in the order `from`, `to`,',
  '`results`, `complete`, `sources` (a JSON parser sees no difference). With `strict=true` the whole answer',
  'is built before the status is chosen, and it is not streamed.',
].join(' ')

const attendanceRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const answer = async (request: FastifyRequest, reply: FastifyReply, input: QueryInput) => {
    const { config, queryService } = fastify
    const query = readableQuery(fastify, request, input)
    // A place at every source's gate before anything is sent, so that a full queue is still a 503.
    let admission: Admission
    try {
      admission = queryService.admit(query)
    } catch (error) {
      if (!(error instanceof SourcesBusyError)) throw error
      reply.header('retry-after', String(BUSY_RETRY_AFTER_SECONDS))
      throw new SourcesAtCapacityError(error.sourceIds.join(', '), BUSY_RETRY_AFTER_SECONDS)
    }
    // Stop the vendor calls when the client goes away: nobody would read their answer.
    const clientGone = new AbortController()
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) clientGone.abort()
    })
    const signal = AbortSignal.any([clientGone.signal, AbortSignal.timeout(config.queryTimeoutMs)])
    const context = { signal, deadline: Date.now() + config.queryTimeoutMs, log: request.log }
    // Streamed, unless strict: its status depends on the whole answer, so that one is built first.
    if (!query.strict) {
      return reply
        .type('application/json; charset=utf-8')
        .send(streamAnswer(reply, queryService, query, context, admission))
    }
    const result = await queryService.run(query, context, admission)
    if (!result.complete) {
      const failing = result.sources.filter((source) => source.status !== 'ok').map((source) => source.source)
      throw new IncompleteResultError(
        failing.length ? `sources not ok: ${failing.join(', ')}` : 'some users were invalid or unauthorized',
      )
    }
    return result
  }

  fastify.get(
    '/attendance/results',
    {
      onRequest: [fastify.apiRateLimit, fastify.authenticate],
      schema: {
        tags: ['attendance'],
        summary: 'Attendance results from every source, normalized',
        security: apiKeySecurity,
        description,
        querystring: AttendanceQuerystring,
        response: {
          200: { ...AttendanceResponse, examples: [attendanceExamples.response] },
          ...errorResponses,
        },
      },
    },
    (request, reply) => answer(request, reply, request.query),
  )

  fastify.post(
    '/attendance/results',
    {
      onRequest: [fastify.apiRateLimit, fastify.authenticate],
      schema: {
        tags: ['attendance'],
        summary: 'The same query with a JSON body (for long user lists)',
        security: apiKeySecurity,
        description: `${description}\n\nPOST is a query here, not a create: it changes nothing and gives exactly the answer GET gives for the same fields. Use it when the user list is too long for a URL.`,
        body: { ...AttendanceBody, examples: [attendanceExamples.body] },
        response: { 200: AttendanceResponse, ...errorResponses },
      },
    },
    (request, reply) => answer(request, reply, request.body),
  )
}

export default attendanceRoutes
