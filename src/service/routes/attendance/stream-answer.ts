// The answer of /attendance/results written as it completes, so that a query of thousands of users never
// holds the whole answer in memory: the format's start (JSON: `{"from","to","results":[`), then each chunk
// of users' days as soon as it is complete and its turn has come (the order is the contract's), and the
// format's end (JSON: `],"complete","sources"}`; NDJSON: the summary line) once every source is done.
// Reports go through the schema's compiled serializer, days through JSON.stringify (see answerSerializers).
//
// Backpressure: when the client (or a proxy) reads slower than the vendors answer, `push()` says so and
// the write waits until the stream asks for more; the query's workers take no new block meanwhile. What
// waits in memory is then bounded by one high-water mark of text plus the blocks already in flight.
import { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import { type TSchema, Type } from 'typebox'
import type { AttendanceQuery } from '../../../domain/attendance/parse-query.js'
import type { Admission, QueryContext, QueryService } from '../../../domain/attendance/query-service.js'
import type { Serializers, TextFraming } from '../../../domain/formats/text-framing.js'
import { SourceReport } from '../../../schemas/source-report.js'

const SourceReports = Type.Array(SourceReport)
/** Text buffered for the client before the writers wait (Readable's own high-water mark). */
const HIGH_WATER_MARK = 1024 * 1024
/** Encoded days a source that must wait for an earlier one may hold before its own blocks wait too. */
const MAX_HELD_BYTES = 16 * 1024 * 1024

export function streamAnswer(
  queryService: QueryService,
  query: AttendanceQuery,
  context: QueryContext,
  admission: Admission,
  framing: TextFraming,
): Readable {
  // One promise for every writer that found the buffer full, resolved when the stream asks for more (or is
  // gone: nobody will read, and the vendor calls stop anyway).
  let waiting: { promise: Promise<void>; resolve: () => void } | undefined
  const wakeWriters = () => {
    const writers = waiting
    waiting = undefined
    writers?.resolve()
  }
  const stream = new Readable({ highWaterMark: HIGH_WATER_MARK, read: wakeWriters })
  stream.once('close', wakeWriters)
  const drained = (): Promise<void> => {
    if (!waiting) {
      let resolve: () => void = () => {}
      const promise = new Promise<void>((done) => {
        resolve = done
      })
      waiting = { promise, resolve }
    }
    return waiting.promise
  }
  if (framing.start !== '') stream.push(framing.start)
  let separator = ''
  const write = (text: string): Promise<void> | undefined => {
    if (text === '' || stream.destroyed) return
    const more = stream.push(separator + text)
    separator = framing.separator
    return more ? undefined : drained()
  }
  void queryService
    .execute(
      query,
      context,
      {
        encode: (days) => framing.encode(days),
        sizeOf: (text) => text.length,
        maxHeldBytes: MAX_HELD_BYTES,
        write,
        endSource: framing.endSource ? (report) => write(framing.endSource?.(report) ?? '') : undefined,
      },
      admission,
    )
    .then(
      (summary) => {
        if (stream.destroyed) return
        stream.push(framing.end(summary))
        stream.push(null)
      },
      // Only a bug gets here (vendor failures are in the reports): the status is sent, so cut the answer
      // short rather than end it as if it were whole.
      (error: unknown) => stream.destroy(error instanceof Error ? error : new Error(String(error))),
    )
  return stream
}

/**
 * How the streamed answer writes days and source reports. Days — the bulk of every answer — are written
 * with JSON.stringify: the compiled schema serializer picks each nullable field's branch by validating it
 * (a date-time format check per time), which made it 2.6× slower per day than JSON.stringify (12 against
 * 4.6 µs, measured on demo days). The days are built by the normalizers and the cache codec to the schema's
 * type, so both give the same JSON; test/routes/day-serialization.test.ts checks it on days of both vendors,
 * raw or not, fresh and from the cache. Reports, once an answer, keep the compiled serializer.
 */
export function answerSerializers(reply: FastifyReply): Serializers {
  return { day: (day) => JSON.stringify(day), sources: serializer(reply, SourceReports) }
}

/** Fastify types serializers as taking plain objects; these take the schema's own type. */
export function serializer(reply: FastifyReply, schema: TSchema): (value: unknown) => string {
  return reply.compileSerializationSchema(schema as unknown as Record<string, unknown>) as (
    value: unknown,
  ) => string
}
