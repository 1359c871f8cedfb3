import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { parseQuery, type QueryInput } from '../attendance/parse-query.js'
import { IncompleteResultError } from '../errors.js'
import { AttendanceBody, AttendanceQuerystring, AttendanceResponse } from '../schemas/attendance-query.js'
import { ErrorResponse } from '../schemas/error.js'
import { attendanceExamples } from './attendance-examples.js'

const errorResponses = {
  400: {
    ...ErrorResponse,
    description:
      'Invalid input: bad or impossible date, reversed or too long range, unknown source, malformed user, too many users, wrong types.',
  },
  413: { ...ErrorResponse, description: 'The body is larger than the limit.' },
  415: { ...ErrorResponse, description: 'POST without a JSON body.' },
  502: { ...ErrorResponse, description: 'Only with `strict=true`: the result is not complete.' },
}

const description = [
  'Attendance results of the named users over an inclusive range of work dates, from every source the users',
  'belong to, normalized into one schema. The service splits the query into the fewest vendor calls their',
  "limits allow, runs them at (never above) the vendors' rate limits, and reports per source what it did and",
  'what, if anything, is missing. One failing source never fails the others: check `complete`, or pass',
  '`strict=true` to get a 502 instead of an incomplete 200.',
].join(' ')

const attendanceRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const answer = async (request: FastifyRequest, reply: FastifyReply, input: QueryInput) => {
    const { config, queryService } = fastify
    const query = parseQuery(input, {
      maxRangeDays: config.maxRangeDays,
      maxUsers: config.maxUsers,
      sourceIds: queryService.sourceIds,
    })
    // Stop the vendor calls when the client goes away: nobody would read their answer.
    const clientGone = new AbortController()
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) clientGone.abort()
    })
    const signal = AbortSignal.any([clientGone.signal, AbortSignal.timeout(config.queryTimeoutMs)])
    const result = await queryService.run(query, {
      signal,
      deadline: Date.now() + config.queryTimeoutMs,
      log: request.log,
    })
    if (query.strict && !result.complete) {
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
      schema: {
        tags: ['attendance'],
        summary: 'Attendance results from every source, normalized',
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
      schema: {
        tags: ['attendance'],
        summary: 'The same query with a JSON body (for long user lists)',
        description: `${description}\n\nPOST is a query here, not a create: it changes nothing and gives exactly the answer GET gives for the same fields. Use it when the user list is too long for a URL.`,
        body: { ...AttendanceBody, examples: [attendanceExamples.body] },
        response: { 200: AttendanceResponse, ...errorResponses },
      },
    },
    (request, reply) => answer(request, reply, request.body),
  )
}

export default attendanceRoutes
