// What both query routes (/attendance/results, /attendance/summaries) do before their answer starts: take
// a place at every source's gate (a full queue is still a 503 then), and a context whose signal aborts
// when the client goes away (nobody would read the answer) or the query deadline passes; the deadline
// bounds the answer too (plugins/stalled-answers.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AttendanceQuery } from '../../../domain/attendance/parse-query.js'
import {
  type Admission,
  type QueryContext,
  SourcesBusyError,
} from '../../../domain/attendance/query-service.js'
import { SourcesAtCapacityError } from '../../../errors/errors.js'

/** What a refused query is told to wait: a queued query at the vendors' rates takes seconds, not minutes. */
const BUSY_RETRY_AFTER_SECONDS = 5

export function admitQuery(
  fastify: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  query: AttendanceQuery,
): { admission: Admission; context: QueryContext } {
  const { config, queryService } = fastify
  let admission: Admission
  try {
    admission = queryService.admit(query)
  } catch (error) {
    if (!(error instanceof SourcesBusyError)) throw error
    reply.header('retry-after', String(BUSY_RETRY_AFTER_SECONDS))
    throw new SourcesAtCapacityError(error.sourceIds.join(', '), BUSY_RETRY_AFTER_SECONDS)
  }
  const clientGone = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) clientGone.abort()
  })
  const signal = AbortSignal.any([clientGone.signal, AbortSignal.timeout(config.queryTimeoutMs)])
  const deadline = Date.now() + config.queryTimeoutMs
  // The signal stops the vendor calls at the deadline, but a worker waiting for a reader that takes
  // nothing never looks at it: the answer itself is ended if it still waits for its client then.
  fastify.stalledAnswers.bound(reply.raw, deadline)
  return { admission, context: { signal, deadline, log: request.log } }
}
