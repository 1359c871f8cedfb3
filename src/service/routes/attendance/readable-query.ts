// The query of /attendance/results and /attendance/plan, validated against the service's limits and the
// caller's key: 400 for what cannot be answered, 403 for a source the key may not read.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { mayReadSource } from '../../../config/api-keys.js'
import { type AttendanceQuery, parseQuery, type QueryInput } from '../../../domain/attendance/parse-query.js'
import { ForbiddenSourceError } from '../../../errors/errors.js'

export function readableQuery(
  fastify: FastifyInstance,
  request: FastifyRequest,
  input: QueryInput,
): AttendanceQuery {
  const query = parseQuery(input, {
    maxRangeDays: fastify.config.maxRangeDays,
    maxUsers: fastify.config.maxUsers,
    sourceIds: fastify.queryService.sourceIds,
    people: fastify.people,
  })
  const forbidden = [...query.usersBySource.keys()].filter((id) => !mayReadSource(request.apiKey, id))
  if (forbidden.length > 0) throw new ForbiddenSourceError(request.apiKey?.name ?? '', forbidden.join(', '))
  return query
}
