// Export jobs: start one (POST), watch it (GET), collect its file, cancel or delete it, list the caller's.
// An export belongs to the API key that created it: any other key gets 404, as for a job that never was.
// Jobs live in the shared store only: while Redis is away every route answers 503 ATT_STORE_UNAVAILABLE
// with Retry-After (never a 404 for a job that may exist, nor a job kept in one replica's memory).
import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { mayReadSource, sha256Hex } from '../../../config/api-keys.js'
import {
  type ExportRecord,
  exportJobView,
  isFinal,
  sourcesRead,
} from '../../../domain/exports/export-record.js'
import { MEDIA_TYPES } from '../../../domain/formats/media-types.js'
import {
  ExportExpiredError,
  ExportHasNoFileError,
  ExportNotFoundError,
  ExportNotReadyError,
  ForbiddenSourceError,
  IdempotencyKeyReusedError,
  SharedStoreUnavailableError,
  TooManyExportsError,
} from '../../../errors/errors.js'
import { accessErrorResponses, apiKeySecurity, forbiddenSourceResponse } from '../../../schemas/access.js'
import { AttendanceResponse } from '../../../schemas/attendance-query.js'
import { ErrorResponse } from '../../../schemas/error.js'
import { ExportJob, ExportList, ExportRequest } from '../../../schemas/export.js'
import {
  bodyRefusals,
  contentDisposition,
  errorAnswer,
  headersTooLarge,
  rateLimitHeaders,
  responseHeader,
  retryAfter,
  serviceUnavailable,
} from '../../../schemas/responses.js'
import { SummariesResponse } from '../../../schemas/summaries-query.js'
import { BREAKER_DEFAULTS } from '../../../store/resilient-store.js'
import { StoreUnavailableError } from '../../../store/shared-store.js'
import { readableQuery } from './readable-query.js'

const JobParams = Type.Object({
  id: Type.String({ maxLength: 64, description: 'The job id (at most 64 characters: longer gets 400).' }),
})
const CreateHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description:
        'The same key with the same body returns the job the first request created, instead of a second one (kept as long as the job). The same key with another body: 422.',
    }),
  ),
})

const error = (description: string) => ({ ...ErrorResponse, description })
const notFound = { 404: error('No such export for this API key (`ATT_EXPORT_NOT_FOUND`).') }
const badId = { 400: error('The id is longer than 64 characters (`FST_ERR_VALIDATION`).') }
/** Until the store's circuit breaker looks at Redis again: a retry before that meets the same refusal. */
const STORE_RETRY_AFTER_SECONDS = Math.ceil(BREAKER_DEFAULTS.openMs / 1000)
/** Every route of the file: its own refusals for a missing Redis, and those every route can give. */
const refusals = {
  ...accessErrorResponses,
  ...serviceUnavailable(
    '`ATT_STORE_UNAVAILABLE`: the shared store (Redis) is not answering, and nothing was done. Jobs live only there, so none is read, listed, created or deleted meanwhile.',
  ),
  ...headersTooLarge,
}
const exportLocation = {
  Location: responseHeader('The job: poll it for progress.', {
    type: 'string',
    examples: ['/attendance/exports/3f2a9c4e-5b1d-4e8a-9f0c-2d7b6a1e8c55'],
  }),
}
/** The file in each format; a JSON file holds the answer of the query it ran (days or summaries). */
const fileContent = {
  'application/json': {
    schema: Type.Union([AttendanceResponse, SummariesResponse], {
      description:
        '`format: "json"`: the answer of `/attendance/results` (`report: "days"`) or of `/attendance/summaries` (`report: "summary"`), as those routes give it.',
    }),
  },
  'application/x-ndjson': {
    schema: Type.String({
      title: 'ExportNdjson',
      format: 'binary',
      description:
        '`format: "ndjson"`: one DayResult (or UserSummary) per line, then the `{"type":"summary",…}` line.',
    }),
  },
  'text/csv': {
    schema: Type.String({
      title: 'ExportCsv',
      format: 'binary',
      description:
        '`format: "csv"`: as the CSV answer of the query (with a byte-order mark for `bom: true`).',
    }),
  },
  [MEDIA_TYPES.xlsx]: {
    schema: Type.String({
      title: 'ExportXlsx',
      format: 'binary',
      description: '`format: "xlsx"`: as the workbook answer of the query.',
    }),
  },
}
const fileHeaders = {
  ...contentDisposition(),
  ETag: responseHeader('The SHA-256 of the file, hex, quoted: the same from every replica.', {
    type: 'string',
    examples: ['"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"'],
  }),
  'Repr-Digest': responseHeader('The SHA-256 of the file (RFC 9530), to check the download against.', {
    type: 'string',
    examples: ['sha-256=:n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=:'],
  }),
}

const exportRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { exports: jobs } = fastify
  const ownerOf = (request: FastifyRequest) => request.apiKey?.name ?? ''

  // Redis away (the job store, the file store or the queue): 503 with Retry-After; the rest goes on to
  // the service's error handler.
  fastify.setErrorHandler((failure, _request, reply) => {
    if (!(failure instanceof StoreUnavailableError)) throw failure
    reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS))
    throw new SharedStoreUnavailableError(STORE_RETRY_AFTER_SECONDS)
  })

  /** The caller's job as stored, or 404. */
  const ownJob = async (request: FastifyRequest, id: string): Promise<ExportRecord> => {
    const record = await jobs.store.get(id)
    if (!record || record.owner !== ownerOf(request)) throw new ExportNotFoundError(id)
    return record
  }

  /** The job as shown: a cancel that its worker has not acted on yet already shows as cancelled. */
  const shown = async (record: ExportRecord): Promise<ExportRecord> =>
    !isFinal(record) && (await jobs.store.cancelRequested(record.id))
      ? { ...record, status: 'cancelled' }
      : record

  /**
   * The job an Idempotency-Key names: the one it was first sent for (`existing`), or the id a new job takes.
   * A claim whose job does not exist was made by a request refused before its job was (429, 503), or by
   * one creating it at this moment: its id is taken again. A claim whose job is gone (deleted, expired)
   * while the queue still knows its id is made over to a new id: the queue never runs an id twice.
   */
  const claimJob = async (
    owner: string,
    keyHash: string,
    bodyHash: string,
  ): Promise<{ id: string } | { existing: ExportRecord }> => {
    const fresh = { jobId: randomUUID(), bodyHash }
    const earlier = await jobs.store.claimIdempotencyKey(owner, keyHash, fresh)
    if (!earlier) return { id: fresh.jobId }
    if (earlier.bodyHash !== bodyHash) throw new IdempotencyKeyReusedError()
    const record = await jobs.store.get(earlier.jobId)
    if (record) return { existing: record }
    if (!(await jobs.queue.hasFinished(earlier.jobId))) return { id: earlier.jobId }
    const claim = await jobs.store.replaceStaleClaim(owner, keyHash, earlier.jobId, fresh)
    return { id: claim.jobId }
  }

  /**
   * Queues the job just stored, or withdraws it: a job the queue did not take (Redis went away meanwhile)
   * is deleted again, so that it was never accepted. Should the queue still take it once Redis is back,
   * its worker finds no record and drops it.
   */
  const enqueueOrWithdraw = async (record: ExportRecord) => {
    try {
      await jobs.queue.enqueue(record.id)
    } catch (failure) {
      await jobs.store.remove(record).catch((cause: unknown) => {
        fastify.log.error(
          { err: cause, exportId: record.id },
          'an export job the queue did not take could not be withdrawn: it stays queued until deleted',
        )
      })
      throw failure
    }
  }

  const protect = { onRequest: [fastify.apiRateLimit, fastify.authenticate] }

  fastify.post(
    '/attendance/exports',
    {
      ...protect,
      schema: {
        operationId: 'createExport',
        tags: ['exports'],
        summary: 'Start an export job',
        description:
          'Runs the query of `/attendance/results` in the background on any replica and writes it to a file in `format`; poll `Location` for progress, then download `/attendance/exports/{id}/file`. The query is validated as for `/attendance/results`: a bad one gets its 400 and no job.',
        security: apiKeySecurity,
        body: {
          ...ExportRequest,
          examples: [
            { from: '2024-05-01', to: '2024-05-31', users: ['feishu:u1', 'dingtalk:d1'], format: 'csv' },
          ],
        },
        headers: CreateHeaders,
        response: {
          202: {
            ...ExportJob,
            description: 'The job, queued (or the earlier one for a reused Idempotency-Key).',
            headers: exportLocation,
          },
          400: error('Invalid query, as for `/attendance/results`, or Idempotency-Key.'),
          422: error('The Idempotency-Key was used with another body (`ATT_IDEMPOTENCY_KEY_REUSED`).'),
          ...refusals,
          429: errorAnswer(
            'More requests a minute than this API key (or, without a key, this client address) may make (`ATT_RATE_LIMITED`, with `Retry-After` and the rate-limit headers), or the key already has `EXPORT_MAX_ACTIVE_PER_KEY` exports queued or running (`ATT_TOO_MANY_EXPORTS`): wait for one to finish.',
            { ...retryAfter(false), ...rateLimitHeaders(false) },
          ),
          ...forbiddenSourceResponse,
          ...bodyRefusals('1 MiB'),
        },
      },
    },
    async (request, reply) => {
      const body = request.body
      const query = readableQuery(fastify, request, body)
      const owner = ownerOf(request)
      const input = {
        from: query.from,
        to: query.to,
        users: [...query.usersBySource].flatMap(([source, ids]) => ids.map((id) => `${source}:${id}`)),
        overtime: query.overtime,
        includeRaw: query.includeRaw,
        ...(query.maxAgeSeconds === undefined ? {} : { maxAge: query.maxAgeSeconds }),
      }
      const format = body.format ?? 'json'
      const bom = body.bom ?? false
      const report = body.report ?? 'days'
      const groupBy = body.groupBy
      const idempotencyKey = request.headers['idempotency-key']
      const keyHash = idempotencyKey === undefined ? undefined : sha256Hex(idempotencyKey)
      const claimed =
        keyHash === undefined
          ? { id: randomUUID() }
          : await claimJob(owner, keyHash, sha256Hex(JSON.stringify({ input, format, bom, report, groupBy })))
      if ('existing' in claimed) {
        return reply
          .code(202)
          .header('location', locationOf(claimed.existing.id))
          .send(exportJobView(claimed.existing))
      }
      const { id } = claimed
      // As shown: a job cancelled while it runs no longer counts, though its worker may take a second to stop.
      const listed = await Promise.all((await jobs.store.list(owner)).map(shown))
      const active = listed.filter((record) => !isFinal(record)).length
      if (active >= fastify.config.exports.maxActivePerKey) {
        throw new TooManyExportsError(fastify.config.exports.maxActivePerKey)
      }
      const record = queuedRecord(id, owner, input, { format, bom, report, groupBy }, keyHash)
      await jobs.store.create(record)
      await enqueueOrWithdraw(record)
      fastify.metrics.exportState('queued')
      return reply.code(202).header('location', locationOf(id)).send(exportJobView(record))
    },
  )

  fastify.get(
    '/attendance/exports',
    {
      ...protect,
      schema: {
        operationId: 'listExports',
        tags: ['exports'],
        summary: "The caller's export jobs, newest first",
        description:
          'Every export job this API key created and has not deleted, whatever its status, while its record is kept (`EXPORT_TTL_SECONDS` and a week).',
        security: apiKeySecurity,
        response: { 200: ExportList, ...refusals },
      },
    },
    async (request) => {
      const records = await jobs.store.list(ownerOf(request))
      return { exports: (await Promise.all(records.map(shown))).map(exportJobView) }
    },
  )

  fastify.get(
    '/attendance/exports/:id',
    {
      ...protect,
      schema: {
        operationId: 'getExport',
        tags: ['exports'],
        summary: 'An export job: status, progress, ETA, and its file once written',
        description:
          'Poll it (the `Location` of the 202) until `status` is final: `succeeded` (then `file` names the download), `failed` or `cancelled`.',
        security: apiKeySecurity,
        params: JobParams,
        response: { 200: ExportJob, ...badId, ...notFound, ...refusals },
      },
    },
    async (request) => exportJobView(await shown(await ownJob(request, request.params.id))),
  )

  fastify.get(
    '/attendance/exports/:id/file',
    {
      ...protect,
      schema: {
        operationId: 'downloadExportFile',
        tags: ['exports'],
        summary: "Download an export's file",
        description:
          'The file as an attachment, the same bytes from every replica (`ETag` and `Repr-Digest` carry its SHA-256) until `EXPORT_TTL_SECONDS` after it was written. Served only while the API key may still read every source the job read: a key whose `sources` were narrowed since gets 403.',
        security: apiKeySecurity,
        params: JobParams,
        response: {
          200: {
            description: "The file, in the job's `format`.",
            headers: fileHeaders,
            content: fileContent,
          },
          ...badId,
          ...notFound,
          409: error(
            'The job has not finished (`ATT_EXPORT_NOT_READY`), or ended without a file (`ATT_EXPORT_NO_FILE`).',
          ),
          410: error('The file has expired (`ATT_EXPORT_EXPIRED`).'),
          ...refusals,
          ...forbiddenSourceResponse,
        },
      },
    },
    async (request, reply) => {
      const record = await shown(await ownJob(request, request.params.id))
      // The file is the sources' data: the key must still be allowed to read each of them.
      const forbidden = sourcesRead(record).filter((source) => !mayReadSource(request.apiKey, source))
      if (forbidden.length > 0) {
        throw new ForbiddenSourceError(request.apiKey?.name ?? '', forbidden.join(', '))
      }
      if (!isFinal(record)) throw new ExportNotReadyError(record.id, record.status)
      if (!record.file) throw new ExportHasNoFileError(record.id, record.status)
      const file = record.file
      const body = file.expiresAt > Date.now() ? await jobs.files.open(record.id) : null
      if (!body) throw new ExportExpiredError(record.id)
      return reply
        .type(MEDIA_TYPES[record.format])
        .header('content-length', String(file.bytes))
        .header('content-disposition', `attachment; filename="${file.name}"`)
        .header('etag', `"${file.sha256}"`)
        .header('repr-digest', `sha-256=:${Buffer.from(file.sha256, 'hex').toString('base64')}:`)
        .header('cache-control', 'private, no-store')
        .send(body as never)
    },
  )

  fastify.delete(
    '/attendance/exports/:id',
    {
      ...protect,
      schema: {
        operationId: 'deleteExport',
        tags: ['exports'],
        summary: 'Cancel a job, or delete a finished one and its file',
        description:
          'A queued or running job is cancelled (its vendor calls stop within a second, on whichever replica runs it): 202 with the job. A finished job is deleted with its file: 204.',
        security: apiKeySecurity,
        params: JobParams,
        response: {
          202: { ...ExportJob, description: 'The job, cancelled.' },
          204: { type: 'null', description: 'The job and its file are deleted.' },
          ...badId,
          ...notFound,
          ...refusals,
          // DELETE takes no body; one sent all the same goes through the body parser.
          ...bodyRefusals('1 MiB'),
        },
      },
    },
    async (request, reply) => {
      const record = await ownJob(request, request.params.id)
      if (isFinal(record)) {
        // The record first: it is what says the job exists; a file left behind expires with its TTL.
        await jobs.store.remove(record)
        await jobs.files.delete(record.id).catch((cause: unknown) => {
          request.log.warn(
            { err: cause, exportId: record.id },
            'export file not deleted: it expires with its TTL',
          )
        })
        return reply.code(204).send(null)
      }
      await jobs.store.requestCancel(record.id)
      if (await jobs.queue.removeQueued(record.id)) {
        // Not started, or its queue entry is over: no worker will write its end, so it is written here
        // (unless the job ended meanwhile).
        const latest = await jobs.store.get(record.id)
        if (latest && !isFinal(latest)) {
          Object.assign(latest, { status: 'cancelled', finishedAt: Date.now() })
          await jobs.store.save(latest)
          fastify.metrics.exportFinished('cancelled', 0, 0)
        }
        if (latest) return reply.code(202).send(exportJobView(latest))
      }
      return reply.code(202).send(exportJobView({ ...record, status: 'cancelled' }))
    },
  )
}

/** A new job's record, as stored before it is queued. */
function queuedRecord(
  id: string,
  owner: string,
  query: ExportRecord['query'],
  output: Pick<ExportRecord, 'format' | 'bom' | 'report' | 'groupBy'>,
  idempotencyKeyHash: string | undefined,
): ExportRecord {
  return {
    id,
    owner,
    format: output.format,
    bom: output.bom,
    report: output.report,
    ...(output.groupBy ? { groupBy: output.groupBy } : {}),
    query,
    ...(idempotencyKeyHash === undefined ? {} : { idempotencyKeyHash }),
    userCount: query.users.length,
    status: 'queued',
    createdAt: Date.now(),
    startedAt: null,
    finishedAt: null,
    attempts: 0,
    bySource: {},
    days: 0,
    percent: 0,
    complete: null,
    sources: [],
    file: null,
    error: null,
  }
}

function locationOf(id: string): string {
  return `/attendance/exports/${encodeURIComponent(id)}`
}

export default exportRoutes
