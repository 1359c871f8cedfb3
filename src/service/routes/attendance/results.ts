import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { QueryInput } from '../../../domain/attendance/parse-query.js'
import { chooseFormat, MEDIA_TYPES } from '../../../domain/formats/media-types.js'
import { textFraming } from '../../../domain/formats/text-framing.js'
import { SummaryCollector } from '../../../domain/summaries/summary-collector.js'
import { IncompleteResultError } from '../../../errors/errors.js'
import { accessErrorResponses, apiKeySecurity, forbiddenSourceResponse } from '../../../schemas/access.js'
import {
  AttendanceBody,
  AttendanceQuerystring,
  AttendanceResponse,
} from '../../../schemas/attendance-query.js'
import { ErrorResponse } from '../../../schemas/error.js'
import type { Format } from '../../../schemas/format.js'
import {
  bodyRefusals,
  contentDisposition,
  headersTooLarge,
  serviceUnavailable,
  usersTooLongForGet,
} from '../../../schemas/responses.js'
import { admitQuery } from './admitted-query.js'
import { attendanceExamples } from './examples.js'
import { incompleteReason, sendFileAnswer } from './file-answer.js'
import { readableQuery } from './readable-query.js'
import { answerSerializers, streamAnswer } from './stream-answer.js'

function errorExample(statusCode: number, code: string, error: string, message: string) {
  return { statusCode, code, error, message }
}

/** The refusals GET and POST share; GET adds its URL limit, POST its body's (errorResponsesOf). */
const errorResponses = {
  400: {
    ...ErrorResponse,
    description:
      'Invalid input: bad or impossible date, reversed or too long range, unknown source, malformed user, unknown person, too many users, wrong types.',
  },
  406: {
    ...ErrorResponse,
    description: 'The Accept header names no type this route serves (and no `format` was given).',
    examples: [
      errorExample(
        406,
        'ATT_NOT_ACCEPTABLE',
        'Not Acceptable',
        'cannot answer in any type of Accept "text/html"; this route serves application/json, application/x-ndjson, text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (or pass format=)',
      ),
    ],
  },
  502: {
    ...ErrorResponse,
    description:
      'The result is not complete, with `strict=true`, or for a CSV or XLSX answer (which has no place to say so: use an export job for a file that may be partial).',
    examples: [
      errorExample(
        502,
        'ATT_INCOMPLETE_RESULT',
        'Bad Gateway',
        'the result is not complete: sources not ok: dingtalk (strict=true)',
      ),
    ],
  },
  ...serviceUnavailable(
    '`ATT_SOURCES_BUSY`: a source already runs and queues as many queries as it may (`maxConcurrentQueries`, `maxQueuedQueries`).',
  ),
  ...accessErrorResponses,
  ...forbiddenSourceResponse,
}

export const getErrorResponses = { ...errorResponses, ...usersTooLongForGet }
export const postErrorResponses = { ...errorResponses, ...bodyRefusals('1 MiB'), ...headersTooLarge }

/** The 200 answer in each format the route serves (the JSON one is validated and serialized by Fastify). */
function answerContent(json: typeof AttendanceResponse, example?: unknown) {
  return {
    description:
      'The answer, in the format `format` or the Accept header chose: JSON unless either asks for another.',
    headers: contentDisposition(false),
    content: {
      'application/json': example === undefined ? { schema: json } : { schema: json, example },
      'application/x-ndjson': {
        schema: Type.String({
          title: 'AttendanceNdjson',
          description:
            'NDJSON text (`format=ndjson`): one DayResult (JSON) per line in the answer\'s order; the last line is `{"type":"summary","complete":…,"sources":[…]}`. A stream without that line was cut short.',
        }),
      },
      'text/csv': {
        schema: Type.String({
          title: 'AttendanceCsv',
          description:
            'CSV text (`format=csv`), RFC 4180, one row per segment (see the README for the columns), sent as an attachment (`Content-Disposition`) and only when complete.',
        }),
      },
      [MEDIA_TYPES.xlsx]: {
        schema: Type.String({
          title: 'AttendanceXlsx',
          format: 'binary',
          description:
            'An Excel workbook (`format=xlsx`) with sheets `Days`, `Summary` and `Sources`, sent as an attachment (`Content-Disposition`) and only when complete.',
        }),
      },
    },
  }
}

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
  const answer = async (
    request: FastifyRequest,
    reply: FastifyReply,
    input: QueryInput & { format?: Format; bom?: boolean },
  ) => {
    const { queryService } = fastify
    const format = chooseFormat(input.format, request.headers.accept)
    const query = readableQuery(fastify, request, input)
    const { admission, context } = admitQuery(fastify, request, reply, query)
    // JSON and NDJSON are streamed, unless strict: the status then depends on the whole answer. CSV and
    // XLSX have no place for `complete`, so they are sent only when complete, as with strict.
    if ((format === 'json' || format === 'ndjson') && !query.strict) {
      return reply
        .type(MEDIA_TYPES[format])
        .send(
          streamAnswer(
            queryService,
            query,
            context,
            admission,
            textFraming(format, { from: query.from, to: query.to, serializers: answerSerializers(reply) }),
          ),
        )
    }
    if (format !== 'json') {
      return sendFileAnswer(fastify, reply, query, context, admission, {
        format,
        bom: input.bom ?? false,
        // A workbook of days also gets the users' Summary sheet.
        summaries:
          format === 'xlsx'
            ? { collector: new SummaryCollector(query.usersBySource, fastify.people) }
            : undefined,
        reason: query.strict ? 'strict=true' : `a ${format.toUpperCase()} answer is sent only when complete`,
      })
    }
    const result = await queryService.run(query, context, admission)
    if (!result.complete) throw new IncompleteResultError(`${incompleteReason(result.sources)} (strict=true)`)
    return result
  }

  fastify.get(
    '/attendance/results',
    {
      onRequest: [fastify.apiRateLimit, fastify.authenticate],
      schema: {
        operationId: 'getResults',
        tags: ['attendance'],
        summary: 'Attendance results from every source, normalized',
        security: apiKeySecurity,
        description,
        querystring: AttendanceQuerystring,
        response: {
          200: answerContent(AttendanceResponse, attendanceExamples.response),
          ...getErrorResponses,
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
        operationId: 'queryResults',
        tags: ['attendance'],
        summary: 'The same query with a JSON body (for long user lists)',
        security: apiKeySecurity,
        description: `${description}\n\nPOST is a query here, not a create: it changes nothing and gives exactly the answer GET gives for the same fields. Use it when the user list is too long for a URL.`,
        body: { ...AttendanceBody, examples: [attendanceExamples.body] },
        response: { 200: answerContent(AttendanceResponse), ...postErrorResponses },
      },
    },
    (request, reply) => answer(request, reply, request.body),
  )
}

export default attendanceRoutes
