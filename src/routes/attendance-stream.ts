// The answer of /attendance/results written as it completes, so that a query of thousands of users never
// holds the whole answer in memory: `{"from","to","results":[` first, then each chunk of users' days as
// soon as it is complete and its turn has come (the order is the contract's), and `],"complete","sources"}`
// once every source is done. Days and reports go through the same schema serializers as a whole answer.
import { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import { type TSchema, Type } from 'typebox'
import type { AttendanceQuery } from '../attendance/parse-query.js'
import type { QueryContext, QueryService } from '../attendance/query-service.js'
import { DayResult } from '../schemas/day-result.js'
import { SourceReport } from '../schemas/source-report.js'

const SourceReports = Type.Array(SourceReport)

export function streamAnswer(
  reply: FastifyReply,
  queryService: QueryService,
  query: AttendanceQuery,
  context: QueryContext,
): Readable {
  // Compiled once per route and cached by Fastify: the same serializer the whole answer would use.
  const serializeDay = serializer(reply, DayResult)
  const serializeSources = serializer(reply, SourceReports)
  const stream = new Readable({ read() {} })
  stream.push(`{"from":${JSON.stringify(query.from)},"to":${JSON.stringify(query.to)},"results":[`)
  let separator = ''
  void queryService
    .execute(query, context, {
      encode: (days) => days.map((day) => serializeDay(day)).join(','),
      write: (text) => {
        if (text === '' || stream.destroyed) return
        stream.push(separator + text)
        separator = ','
      },
    })
    .then(
      ({ complete, sources }) => {
        if (stream.destroyed) return
        stream.push(`],"complete":${complete},"sources":${serializeSources(sources)}}`)
        stream.push(null)
      },
      // Only a bug gets here (vendor failures are in the reports): the status is sent, so cut the answer
      // short rather than end it as if it were whole.
      (error: unknown) => stream.destroy(error instanceof Error ? error : new Error(String(error))),
    )
  return stream
}

/** Fastify types serializers as taking plain objects; these take the schema's own type. */
function serializer(reply: FastifyReply, schema: TSchema): (value: unknown) => string {
  return reply.compileSerializationSchema(schema as unknown as Record<string, unknown>) as (
    value: unknown,
  ) => string
}
