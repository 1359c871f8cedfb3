// Export jobs: start one (POST), watch it (GET), collect its file, cancel or delete it, list the caller's.
// An export belongs to the API key that created it: any other key gets 404, as for a job that never was.
// Jobs live in the shared store only: while Redis is away every route answers 503 ATT_STORE_UNAVAILABLE
// with Retry-After (never a 404 for a job that may exist, nor a job kept in one replica's memory).
import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { mayReadSource, sha256Hex } from '../auth/api-keys.js'
import {
  ExportExpiredError,
  ExportHasNoFileError,
  ExportNotFoundError,
  ExportNotReadyError,
  ForbiddenSourceError,
  IdempotencyKeyReusedError,
  SharedStoreUnavailableError,
  TooManyExportsError,
} from '../errors.js'
import { type ExportRecord, exportJobView, isFinal, sourcesRead } from '../exports/export-record.js'
import { MEDIA_TYPES } from '../formats/media-types.js'
import { accessErrorResponses, apiKeySecurity, forbiddenSourceResponse } from '../schemas/access.js'
import { ErrorResponse } from '../schemas/error.js'
import { ExportJob, ExportList, ExportRequest } from '../schemas/export.js'
import { BREAKER_DEFAULTS } from '../store/resilient-store.js'
import { StoreUnavailableError } from '../store/shared-store.js'
import { readableQuery } from './readable-query.js'

const JobParams = Type.Object({ id: Type.String({ maxLength: 64, description: 'The job id.' }) })
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
/** Until the store's circuit breaker looks at Redis again: a retry before that meets the same refusal. */
const STORE_RETRY_AFTER_SECONDS = Math.ceil(BREAKER_DEFAULTS.openMs / 1000)
const storeUnavailable = {
  503: error(
    'The shared store (Redis) is not answering (`ATT_STORE_UNAVAILABLE`): nothing was done. Jobs live only there, so none is read, listed, created or deleted meanwhile. Retry after `Retry-After` seconds.',
  ),
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
        tags: ['exports'],
        summary: 'Start an export job',
        description:
          'Runs the query of `/attendance/results` in the background on any replica and writes it to a file in `format`; poll `Location` for progress, then download `/attendance/exports/{id}/file`. The query is validated as for `/attendance/results`: a bad one gets its 400 and no job.',
        security: apiKeySecurity,
        body: ExportRequest,
        headers: CreateHeaders,
        response: {
          202: {
            ...ExportJob,
            description: 'The job, queued (or the earlier one for a reused Idempotency-Key).',
          },
          400: error('Invalid query, as for `/attendance/results`.'),
          422: error('The Idempotency-Key was used with another body (`ATT_IDEMPOTENCY_KEY_REUSED`).'),
          ...accessErrorResponses,
          ...forbiddenSourceResponse,
          ...storeUnavailable,
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
        tags: ['exports'],
        summary: "The caller's export jobs, newest first",
        security: apiKeySecurity,
        response: { 200: ExportList, ...accessErrorResponses, ...storeUnavailable },
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
        tags: ['exports'],
        summary: 'An export job: status, progress, ETA, and its file once written',
        security: apiKeySecurity,
        params: JobParams,
        response: { 200: ExportJob, ...notFound, ...accessErrorResponses, ...storeUnavailable },
      },
    },
    async (request) => exportJobView(await shown(await ownJob(request, request.params.id))),
  )

  fastify.get(
    '/attendance/exports/:id/file',
    {
      ...protect,
      schema: {
        tags: ['exports'],
        summary: "Download an export's file",
        description:
          'The file as an attachment, the same bytes from every replica (`ETag` and `Repr-Digest` carry its SHA-256) until `EXPORT_TTL_SECONDS` after it was written. Served only while the API key may still read every source the job read: a key whose `sources` were narrowed since gets 403.',
        security: apiKeySecurity,
        params: JobParams,
        response: {
          200: {
            description: 'The file.',
            content: Object.fromEntries(
              Object.values(MEDIA_TYPES).map((type) => [type, { schema: Type.String({ format: 'binary' }) }]),
            ),
          },
          ...notFound,
          409: error(
            'The job has not finished (`ATT_EXPORT_NOT_READY`), or ended without a file (`ATT_EXPORT_NO_FILE`).',
          ),
          410: error('The file has expired (`ATT_EXPORT_EXPIRED`).'),
          ...accessErrorResponses,
          ...forbiddenSourceResponse,
          ...storeUnavailable,
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
        tags: ['exports'],
        summary: 'Cancel a job, or delete a finished one and its file',
        description:
          'A queued or running job is cancelled (its vendor calls stop within a second, on whichever replica runs it): 202 with the job. A finished job is deleted with its file: 204.',
        security: apiKeySecurity,
        params: JobParams,
        response: {
          202: { ...ExportJob, description: 'The job, cancelled.' },
          204: { type: 'null', description: 'The job and its file are deleted.' },
          ...notFound,
          ...accessErrorResponses,
          ...storeUnavailable,
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
