// GET|POST /attendance/plan: what /attendance/results would cost for the same fields, per source, without
// any vendor call — the user-days the cache holds, those to fetch, the data calls, and the time at the
// source's rate limit. A payroll run checks it against the month's budget before it pulls.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { QueryInput } from '../attendance/parse-query.js'
import { accessErrorResponses, apiKeySecurity, forbiddenSourceResponse } from '../schemas/access.js'
import { AttendanceBody, AttendanceQuerystring } from '../schemas/attendance-query.js'
import { Budget } from '../schemas/budget.js'
import { Vendor } from '../schemas/day-result.js'
import { ErrorResponse } from '../schemas/error.js'
import { readableQuery } from './readable-query.js'

const SourcePlan = Type.Object(
  {
    source: Type.String({ description: 'Source id.' }),
    vendor: Vendor,
    userDays: Type.Integer({ description: "Users × days of this source's part of the query." }),
    cached: Type.Integer({ description: 'User-days the result cache answers now.' }),
    toFetch: Type.Integer({ description: 'User-days to fetch (within the vendor retention).' }),
    plannedCalls: Type.Integer({ description: 'Data calls the query would make (retries not included).' }),
    plannedCallsAreEstimate: Type.Boolean({
      description:
        "True for DingTalk: its pages are known only as they come, so they are estimated from the rows per user-day this source has returned so far (2 before any). Feishu's count is exact.",
    }),
    estimatedSeconds: Type.Number({ description: 'plannedCalls / rateLimitPerSecond.' }),
    budget: Budget,
  },
  { title: 'SourcePlan' },
)

const PlanResponse = Type.Object(
  {
    from: Type.String({ format: 'date' }),
    to: Type.String({ format: 'date' }),
    sources: Type.Array(SourcePlan),
  },
  { title: 'PlanResponse' },
)

const description =
  'What `/attendance/results` would cost for the same fields, per source, without any vendor call: how much the result cache answers, how many data calls the rest takes, and how long that is at the rate limit. The same validation and access rules as the query.'

const responses = {
  200: PlanResponse,
  400: { ...ErrorResponse, description: 'Invalid input, as for /attendance/results.' },
  ...accessErrorResponses,
  ...forbiddenSourceResponse,
}

const planRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const plan = async (request: FastifyRequest, input: QueryInput) => {
    const { queryService } = fastify
    const query = readableQuery(fastify, request, input)
    const previews = await queryService.preview(query)
    return {
      from: query.from,
      to: query.to,
      sources: await Promise.all(
        previews.map(async (preview) => {
          const source = queryService.adapterOf(preview.source)?.config
          const budget = await fastify.callAccounting
            .get(preview.source)
            ?.budget()
            .catch(() => null)
          return {
            source: preview.source,
            vendor: source?.vendor ?? 'feishu',
            userDays: preview.userDays,
            cached: preview.cached,
            toFetch: preview.toFetch,
            plannedCalls: preview.plannedCalls,
            plannedCallsAreEstimate: preview.plannedCallsAreEstimate,
            estimatedSeconds: preview.plannedCalls / (source?.rateLimitPerSecond ?? 1),
            budget: budget ?? null,
          }
        }),
      ),
    }
  }

  fastify.get(
    '/attendance/plan',
    {
      onRequest: [fastify.apiRateLimit, fastify.authenticate],
      schema: {
        tags: ['attendance'],
        summary: 'Preview a query: cached user-days, planned vendor calls, time, budget',
        security: apiKeySecurity,
        description,
        querystring: AttendanceQuerystring,
        response: responses,
      },
    },
    (request) => plan(request, request.query),
  )

  fastify.post(
    '/attendance/plan',
    {
      onRequest: [fastify.apiRateLimit, fastify.authenticate],
      schema: {
        tags: ['attendance'],
        summary: 'The same preview with a JSON body (for long user lists)',
        security: apiKeySecurity,
        description,
        body: AttendanceBody,
        response: responses,
      },
    },
    (request) => plan(request, request.body),
  )
}

export default planRoutes
