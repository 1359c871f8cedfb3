// GET|POST /attendance/plan: what /attendance/results would cost for the same fields, per source, without
// any vendor call — the user-days the cache holds, those to fetch, the data calls, and the time at the
// source's rate limit. A payroll run checks it against the month's budget before it pulls.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { QueryInput } from '../../../domain/attendance/parse-query.js'
import { accessErrorResponses, apiKeySecurity, forbiddenSourceResponse } from '../../../schemas/access.js'
import { AttendanceBody, AttendanceQuerystring, maxAgeField } from '../../../schemas/attendance-query.js'
import { Budget } from '../../../schemas/budget.js'
import { Vendor } from '../../../schemas/day-result.js'
import { ErrorResponse } from '../../../schemas/error.js'
import { FORMATS } from '../../../schemas/format.js'
import {
  bodyRefusals,
  headersTooLarge,
  serviceUnavailable,
  usersTooLongForGet,
} from '../../../schemas/responses.js'
import { attendanceExamples } from './examples.js'
import { readableQuery } from './readable-query.js'

/**
 * The fields of /attendance/results that change the plan (the range, the users, `overtime` and `maxAge`:
 * what the cache can answer), and those it takes and ignores, so that the same query string or body can
 * be sent to both: the plan is JSON, whatever `format` says.
 */
const planFields = (fields: typeof AttendanceQuerystring.properties | typeof AttendanceBody.properties) => {
  const ignored = (what: string) =>
    `Taken so that the fields of \`/attendance/results\` can be sent unchanged, and ignored: ${what}`
  return {
    from: fields.from,
    to: fields.to,
    users: fields.users,
    overtime: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'As for the query: days are cached apart with and without overtime, so only those cached the same way count.',
      }),
    ),
    maxAge: maxAgeField(
      'As for the query: a cached day older than this many seconds counts as to fetch. `0`: every day is to fetch.',
    ),
    format: Type.Optional(Type.Enum(FORMATS, { description: ignored('the plan is JSON.') })),
    bom: Type.Optional(Type.Boolean({ default: false, description: ignored('the plan is JSON.') })),
    includeRaw: Type.Optional(
      Type.Boolean({ default: false, description: ignored('raw rows cost no vendor call of their own.') }),
    ),
    strict: Type.Optional(
      Type.Boolean({ default: false, description: ignored('a plan is never incomplete.') }),
    ),
  }
}

const PlanQuerystring = Type.Object(planFields(AttendanceQuerystring.properties), {
  additionalProperties: false,
})
const PlanBody = Type.Object(planFields(AttendanceBody.properties), { additionalProperties: false })

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
    from: Type.String({ format: 'date', description: 'The requested first work date.' }),
    to: Type.String({ format: 'date', description: 'The requested last work date.' }),
    sources: Type.Array(SourcePlan, {
      description: 'One plan per source named in the request, by source id.',
    }),
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
  ...serviceUnavailable(),
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
        operationId: 'getPlan',
        tags: ['attendance'],
        summary: 'Preview a query: cached user-days, planned vendor calls, time, budget',
        security: apiKeySecurity,
        description,
        querystring: PlanQuerystring,
        response: { ...responses, ...usersTooLongForGet },
      },
    },
    (request) => plan(request, request.query),
  )

  fastify.post(
    '/attendance/plan',
    {
      onRequest: [fastify.apiRateLimit, fastify.authenticate],
      schema: {
        operationId: 'queryPlan',
        tags: ['attendance'],
        summary: 'The same preview with a JSON body (for long user lists)',
        security: apiKeySecurity,
        description,
        body: { ...PlanBody, examples: [attendanceExamples.body] },
        response: { ...responses, ...bodyRefusals('1 MiB'), ...headersTooLarge },
      },
    },
    (request) => plan(request, request.body),
  )
}

export default planRoutes
