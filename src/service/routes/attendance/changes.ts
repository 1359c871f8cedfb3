// GET /attendance/changes: what changed at a source, oldest first, from a cursor — the days a payroll
// system should pull again instead of the whole month.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { mayReadSource } from '../../../config/api-keys.js'
import { CURSOR_PATTERN, CursorExpiredError } from '../../../domain/events/change-feed.js'
import { CursorExpiredHttpError, ForbiddenSourceError, UnknownSourceError } from '../../../errors/errors.js'
import { accessErrorResponses, apiKeySecurity, forbiddenSourceResponse } from '../../../schemas/access.js'
import { SOURCE_ID_PATTERN } from '../../../schemas/attendance-query.js'
import { ErrorResponse } from '../../../schemas/error.js'
import { headersTooLarge, serviceUnavailable } from '../../../schemas/responses.js'

const ChangesQuery = Type.Object(
  {
    source: Type.String({ pattern: SOURCE_ID_PATTERN, description: 'The source id.' }),
    since: Type.Optional(
      Type.String({
        pattern: CURSOR_PATTERN,
        description: 'The `next` of the previous answer; without it, from the oldest change kept.',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000,
        default: 1000,
        description: 'Most changes in one answer.',
      }),
    ),
  },
  { additionalProperties: false },
)

const Change = Type.Object(
  {
    source: Type.String(),
    userId: Type.String(),
    workDate: Type.String({ format: 'date' }),
    reason: Type.Union([Type.Literal('event'), Type.Literal('refetch')], {
      description:
        '`event`: a vendor change event named the day. `refetch`: a fetch found the day different from its cached version.',
    }),
    at: Type.String({ format: 'date-time', description: 'When the change was recorded.' }),
  },
  { title: 'Change' },
)

const ChangesResponse = Type.Object(
  {
    changes: Type.Array(Change, { description: 'Oldest first; a day may appear more than once.' }),
    next: Type.String({ description: 'Pass as `since` next time (the same cursor when nothing changed).' }),
  },
  { title: 'ChangesResponse' },
)

const changesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/attendance/changes',
    {
      onRequest: [fastify.apiRateLimit, fastify.authenticate],
      schema: {
        operationId: 'getChanges',
        tags: ['changes'],
        summary: 'The change feed: days that changed at a source, from a cursor',
        description:
          'Poll with the last `next` as `since`, and pull the days listed again (`/attendance/results` with those users and dates). Kept for `CHANGES_RETENTION_DAYS`; an older cursor gets 410: pull the range in full and continue from the cursor of that moment.',
        security: apiKeySecurity,
        querystring: ChangesQuery,
        response: {
          200: ChangesResponse,
          400: { ...ErrorResponse, description: 'Unknown source or a malformed cursor.' },
          410: {
            ...ErrorResponse,
            description: 'The cursor is older than the feed keeps (`ATT_CURSOR_EXPIRED`).',
          },
          ...accessErrorResponses,
          ...forbiddenSourceResponse,
          ...serviceUnavailable(),
          ...headersTooLarge,
        },
      },
    },
    async (request) => {
      const { source, since, limit } = request.query
      const sourceIds = fastify.queryService.sourceIds
      if (!sourceIds.includes(source)) throw new UnknownSourceError(source, sourceIds.join(', '))
      if (!mayReadSource(request.apiKey, source))
        throw new ForbiddenSourceError(request.apiKey?.name ?? '', source)
      try {
        return await fastify.events.feed.read(source, since, limit ?? 1000)
      } catch (error) {
        if (error instanceof CursorExpiredError) {
          throw new CursorExpiredHttpError(error.cursor, fastify.config.changesRetentionDays)
        }
        throw error
      }
    },
  )
}

export default changesRoutes
