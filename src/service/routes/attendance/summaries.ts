// GET|POST /attendance/summaries: per user (and, with groupBy=person, per person) counts over a range,
// computed from the same days /attendance/results gives, in the same formats. The days are never held: each
// user's counts are kept as the days go by, and a source's summaries are written once it is done.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { chooseFormat, MEDIA_TYPES } from '../../../domain/formats/media-types.js'
import { summaryFraming } from '../../../domain/formats/summary-framing.js'
import { SummaryCollector } from '../../../domain/summaries/summary-collector.js'
import { IncompleteResultError, MonthAndRangeError } from '../../../errors/errors.js'
import { accessErrorResponses, apiKeySecurity, forbiddenSourceResponse } from '../../../schemas/access.js'
import { ErrorResponse } from '../../../schemas/error.js'
import type { Format } from '../../../schemas/format.js'
import {
  bodyRefusals,
  contentDisposition,
  headersTooLarge,
  serviceUnavailable,
  usersTooLongForGet,
} from '../../../schemas/responses.js'
import {
  SummariesBody,
  SummariesBodyShapes,
  SummariesQuerystring,
  SummariesResponse,
} from '../../../schemas/summaries-query.js'
import { PersonSummary, SUMMARY_NOTE, UserSummary } from '../../../schemas/user-summary.js'
import { admitQuery } from './admitted-query.js'
import { incompleteReason, sendFileAnswer } from './file-answer.js'
import { readableQuery } from './readable-query.js'
import { answerSerializers, serializer, streamAnswer } from './stream-answer.js'

type SummariesInput = SummariesQuerystring | SummariesBody

/** `month` or `from`+`to`, never both, never neither: the range as `from` and `to`. */
export function rangeOf(input: { from?: string; to?: string; month?: string }): { from: string; to: string } {
  if (input.month !== undefined) {
    if (input.from !== undefined || input.to !== undefined) {
      throw new MonthAndRangeError('give either month or from and to, not both')
    }
    const [year, month] = input.month.split('-').map(Number) as [number, number]
    const last = new Date(Date.UTC(year, month, 0)).getUTCDate()
    return { from: `${input.month}-01`, to: `${input.month}-${String(last).padStart(2, '0')}` }
  }
  if (input.from === undefined || input.to === undefined) {
    throw new MonthAndRangeError('give from and to, or month')
  }
  return { from: input.from, to: input.to }
}

const description = [
  "Each user's attendance over the range, counted from the checks of the days `/attendance/results` gives:",
  'days, work days, checks by result, late arrivals and early departures (count and seconds), missing',
  'checks, absent days, time worked and overtime. Every field is defined in its description and in the',
  'README. `month=YYYY-MM` stands for its first and last day. With `groupBy=person`, `people` sums each',
  `person's accounts (PEOPLE_FILE). ${SUMMARY_NOTE}`,
].join(' ')

const summariesContent = {
  description:
    'The summaries, in the format `format` or the Accept header chose: JSON unless either asks for another.',
  headers: contentDisposition(false),
  content: {
    'application/json': { schema: SummariesResponse },
    'application/x-ndjson': {
      schema: Type.String({
        title: 'SummariesNdjson',
        description:
          'NDJSON text (`format=ndjson`): one UserSummary (JSON) per line, then `{"type":"summary","complete":…,"sources":[…]}` (with `people` when grouped). A stream without that line was cut short.',
      }),
    },
    'text/csv': {
      schema: Type.String({
        title: 'SummariesCsv',
        description:
          'CSV text (`format=csv`): one row per user (per person with groupBy=person), nested fields flattened (`late_count`, `checks_normal`, …), sent as an attachment (`Content-Disposition`) and only when complete.',
      }),
    },
    [MEDIA_TYPES.xlsx]: {
      schema: Type.String({
        title: 'SummariesXlsx',
        format: 'binary',
        description:
          'An Excel workbook (`format=xlsx`) with sheets `Summary` (and `People` when grouped) and `Sources`, sent as an attachment (`Content-Disposition`) and only when complete.',
      }),
    },
  },
}

const responses = {
  200: summariesContent,
  400: {
    ...ErrorResponse,
    description:
      'Invalid input, as for /attendance/results; also `month` with `from`/`to`, or neither (`ATT_INVALID_RANGE`), and an unknown `person:<id>` (`ATT_UNKNOWN_PERSON`).',
  },
  406: { ...ErrorResponse, description: 'The Accept header names no format this route writes.' },
  502: { ...ErrorResponse, description: 'Not complete, with `strict=true` or for a CSV or XLSX answer.' },
  ...serviceUnavailable(
    '`ATT_SOURCES_BUSY`: a source already runs and queues as many queries as it may (`maxConcurrentQueries`, `maxQueuedQueries`).',
  ),
  ...accessErrorResponses,
  ...forbiddenSourceResponse,
}

const summariesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const answer = async (request: FastifyRequest, reply: FastifyReply, input: SummariesInput) => {
    const { queryService } = fastify
    const format: Format = chooseFormat(input.format, request.headers.accept)
    const query = readableQuery(fastify, request, { ...input, ...rangeOf(input), includeRaw: false })
    const { admission, context } = admitQuery(fastify, request, reply, query)
    const collector = new SummaryCollector(query.usersBySource, fastify.people)
    const groupBy = input.groupBy

    if ((format === 'json' || format === 'ndjson') && !query.strict) {
      const { sources } = answerSerializers(reply)
      const framing = summaryFraming(format, {
        from: query.from,
        to: query.to,
        collector,
        groupBy,
        serializers: {
          summary: serializer(reply, UserSummary),
          people: serializer(reply, Type.Array(PersonSummary)),
          sources,
        },
      })
      return reply
        .type(MEDIA_TYPES[format])
        .send(streamAnswer(queryService, query, context, admission, framing))
    }
    if (format !== 'json') {
      return sendFileAnswer(fastify, reply, query, context, admission, {
        format,
        bom: input.bom ?? false,
        reason: query.strict ? 'strict=true' : `a ${format.toUpperCase()} answer is sent only when complete`,
        report: 'summary',
        summaries: { collector, groupBy },
      })
    }
    // strict JSON: the whole (small) answer first, then the status.
    const summaries: UserSummary[] = []
    const { complete, sources } = await queryService.execute(
      query,
      context,
      {
        encode: (days) => collector.add(days),
        write: () => {},
        endSource: (report) => {
          summaries.push(...collector.finishSource(report))
        },
      },
      admission,
    )
    if (!complete) throw new IncompleteResultError(`${incompleteReason(sources)} (strict=true)`)
    return {
      from: query.from,
      to: query.to,
      summaries,
      complete,
      sources,
      ...(groupBy === 'person' ? { people: collector.personSummaries() } : {}),
    }
  }

  const schema = { tags: ['attendance'], security: apiKeySecurity, description }

  fastify.get(
    '/attendance/summaries',
    {
      onRequest: [fastify.apiRateLimit, fastify.authenticate],
      schema: {
        ...schema,
        operationId: 'getSummaries',
        summary: 'Per-employee attendance summaries for payroll, from every source',
        querystring: SummariesQuerystring,
        response: { ...responses, ...usersTooLongForGet },
      },
    },
    (request, reply) => answer(request, reply, request.query),
  )

  fastify.post(
    '/attendance/summaries',
    {
      onRequest: [fastify.apiRateLimit, fastify.authenticate],
      // The document gives the body's two shapes (month, or from and to); the route checks the rule itself.
      config: {
        swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, body: SummariesBodyShapes }, url }),
      },
      schema: {
        ...schema,
        operationId: 'querySummaries',
        summary: 'The same summaries with a JSON body (for long user lists)',
        body: SummariesBody,
        response: { ...responses, ...bodyRefusals('1 MiB'), ...headersTooLarge },
      },
    },
    (request, reply) => answer(request, reply, request.body),
  )
}

export default summariesRoutes
