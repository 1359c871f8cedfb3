// Export jobs: start one (POST), watch it (GET), collect its file, cancel or delete it, list the caller's.
// An export belongs to the API key that created it: any other key gets 404, as for a job that never was.
import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { sha256Hex } from '../auth/api-keys.js'
import {
  ExportExpiredError,
  ExportHasNoFileError,
  ExportNotFoundError,
  ExportNotReadyError,
  IdempotencyKeyReusedError,
  TooManyExportsError,
} from '../errors.js'
import { type ExportRecord, exportJobView, isFinal } from '../exports/export-record.js'
import { MEDIA_TYPES } from '../formats/media-types.js'
import { accessErrorResponses, apiKeySecurity, forbiddenSourceResponse } from '../schemas/access.js'
import { ErrorResponse } from '../schemas/error.js'
import { ExportJob, ExportList, ExportRequest } from '../schemas/export.js'
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

const exportRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { exports: jobs } = fastify
  const ownerOf = (request: FastifyRequest) => request.apiKey?.name ?? ''

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
      let id: string = randomUUID()
      const idempotencyKey = request.headers['idempotency-key']
      if (idempotencyKey !== undefined) {
        const bodyHash = sha256Hex(JSON.stringify({ input, format, bom, report, groupBy }))
        const earlier = await jobs.store.claimIdempotencyKey(owner, sha256Hex(idempotencyKey), {
          jobId: id,
          bodyHash,
        })
        if (earlier && earlier.bodyHash !== bodyHash) throw new IdempotencyKeyReusedError()
        if (earlier) {
          const record = await jobs.store.get(earlier.jobId)
          if (record)
            return reply.code(202).header('location', locationOf(record.id)).send(exportJobView(record))
          // Claimed by a request that was refused (429) before its job existed: create it now.
          id = earlier.jobId
        }
      }
      // As shown: a job cancelled while it runs no longer counts, though its worker may take a second to stop.
      const listed = await Promise.all((await jobs.store.list(owner)).map(shown))
      const active = listed.filter((record) => !isFinal(record)).length
      if (active >= fastify.config.exports.maxActivePerKey) {
        throw new TooManyExportsError(fastify.config.exports.maxActivePerKey)
      }
      const record: ExportRecord = {
        id,
        owner,
        format,
        bom,
        report,
        ...(groupBy ? { groupBy } : {}),
        query: input,
        userCount: input.users.length,
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
      await jobs.store.create(record)
      await jobs.queue.enqueue(id)
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
        response: { 200: ExportList, ...accessErrorResponses },
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
        response: { 200: ExportJob, ...notFound, ...accessErrorResponses },
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
          'The file as an attachment, the same bytes from every replica (`ETag` and `Repr-Digest` carry its SHA-256) until `EXPORT_TTL_SECONDS` after it was written.',
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
        },
      },
    },
    async (request, reply) => {
      const record = await shown(await ownJob(request, request.params.id))
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
        },
      },
    },
    async (request, reply) => {
      const record = await ownJob(request, request.params.id)
      if (isFinal(record)) {
        await jobs.files.delete(record.id)
        await jobs.store.remove(record)
        return reply.code(204).send(null)
      }
      await jobs.store.requestCancel(record.id)
      if (await jobs.queue.removeQueued(record.id)) {
        // Never started: no worker will write its end.
        Object.assign(record, { status: 'cancelled', finishedAt: Date.now() })
        await jobs.store.save(record)
        fastify.metrics.exportFinished('cancelled', 0, 0)
      }
      return reply.code(202).send(exportJobView({ ...record, status: 'cancelled' }))
    },
  )
}

function locationOf(id: string): string {
  return `/attendance/exports/${encodeURIComponent(id)}`
}

export default exportRoutes
