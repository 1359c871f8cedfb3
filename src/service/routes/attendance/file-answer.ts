// A synchronous answer that has no place for `complete` (CSV, XLSX; NDJSON with strict=true): written to a
// temporary file, and sent only when the result is complete; otherwise 502 ATT_INCOMPLETE_RESULT naming
// the failing sources. The file is removed in every case: sent, client gone, failure, shutdown.
import { createReadStream } from 'node:fs'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { AttendanceQuery } from '../../../domain/attendance/parse-query.js'
import type { Admission, QueryContext } from '../../../domain/attendance/query-service.js'
import { openAnswerFile } from '../../../domain/formats/answer-file.js'
import { answerFileName, FILE_EXTENSIONS, MEDIA_TYPES } from '../../../domain/formats/media-types.js'
import type { SummaryCollector } from '../../../domain/summaries/summary-collector.js'
import { IncompleteResultError } from '../../../errors/errors.js'
import type { Format } from '../../../schemas/format.js'
import type { SourceReport } from '../../../schemas/source-report.js'

/** What an incomplete answer lacks, in words: the failing sources, else the refused users. */
export function incompleteReason(sources: readonly SourceReport[]): string {
  const failing = sources.filter((source) => source.status !== 'ok').map((source) => source.source)
  return failing.length ? `sources not ok: ${failing.join(', ')}` : 'some users were invalid or unauthorized'
}

type Report = 'days' | 'summary'

export async function sendFileAnswer(
  fastify: FastifyInstance,
  reply: FastifyReply,
  query: AttendanceQuery,
  context: QueryContext,
  admission: Admission,
  options: {
    format: Format
    bom: boolean
    reason: string
    report?: Report
    summaries?: { collector: SummaryCollector; groupBy?: 'person' }
  },
): Promise<FastifyReply> {
  const { tempFiles, queryService } = fastify
  const path = tempFiles.create(FILE_EXTENSIONS[options.format])
  const file = await openAnswerFile(path, {
    format: options.format,
    from: query.from,
    to: query.to,
    bom: options.bom,
    report: options.report,
    summaries: options.summaries,
  })
  let sending = false
  try {
    const summary = await queryService.execute(query, context, file.output, admission)
    if (!summary.complete) {
      throw new IncompleteResultError(`${incompleteReason(summary.sources)} (${options.reason})`)
    }
    const written = await file.finish(summary)
    const body = createReadStream(path)
    // Removed once the answer is out or the client has gone, whichever comes first.
    const removeFile = () => void tempFiles.remove(path)
    reply.raw.once('close', removeFile)
    body.once('error', removeFile)
    sending = true
    return reply
      .type(MEDIA_TYPES[options.format])
      .header('content-length', String(written.bytes))
      .header(
        'content-disposition',
        `attachment; filename="${answerFileName(query.from, query.to, options.format, options.report)}"`,
      )
      .send(body)
  } finally {
    if (!sending) {
      await file.destroy()
      await tempFiles.remove(path)
    }
  }
}
