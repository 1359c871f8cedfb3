// Export jobs as `fastify.exports`: records in the shared store, files in Redis (or a local directory),
// jobs on BullMQ (or a queue in this process) and the runner every replica's worker uses. Without
// Redis everything runs in this process, with the same API and states. Records go through the store's
// durable view (no local fallback): a job the fleet cannot see must not exist.
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { redisSettingsOf } from '../../../config/config.js'
import { BullMqExportQueue } from '../../../domain/exports/bullmq-queue.js'
import { DirectoryExportFiles } from '../../../domain/exports/directory-export-files.js'
import type { ExportFiles } from '../../../domain/exports/export-files.js'
import type { ExportQueue } from '../../../domain/exports/export-queue.js'
import { ExportRunner } from '../../../domain/exports/export-runner.js'
import { ExportStore } from '../../../domain/exports/export-store.js'
import { InProcessExportQueue } from '../../../domain/exports/in-process-queue.js'
import { RedisExportFiles } from '../../../domain/exports/redis-export-files.js'
import { createRedisConnection } from '../../../store/redis-connection.js'

declare module 'fastify' {
  interface FastifyInstance {
    exports: { store: ExportStore; files: ExportFiles; queue: ExportQueue; runner: ExportRunner }
  }
}

/** How long a running job may go on when the replica stops, before it is handed back (or stopped). */
const SHUTDOWN_GRACE_MS = 10_000
/** What the hand-back (stop the run, save the record, moveToWait, close the worker) may take. */
const HAND_BACK_MS = 2000
/** Storing a chunk of a file: bigger than a store command, far below a hung Redis. */
const FILE_COMMAND_TIMEOUT_MS = 10_000

async function exportsPlugin(fastify: FastifyInstance) {
  const { config, store, queryService, tempFiles, metrics, log } = fastify
  const settings = config.exports
  const ttlMs = settings.ttlSeconds * 1000
  const records = new ExportStore(store.durable, ttlMs)
  const redis = redisSettingsOf(config)
  const files: ExportFiles = redis
    ? new RedisExportFiles(
        createRedisConnection({
          settings: redis,
          keyPrefix: config.redisKeyPrefix,
          commandTimeoutMs: FILE_COMMAND_TIMEOUT_MS,
        }),
      )
    : new DirectoryExportFiles(join(tempFiles.directory, 'exports'))
  const queue: ExportQueue = redis
    ? new BullMqExportQueue({
        redis,
        // Hash-tagged: on a Redis Cluster all of BullMQ's keys of this queue land in one slot.
        prefix: `${config.redisKeyPrefix}{exports}`,
        concurrency: settings.concurrency,
        lockMs: settings.lockSeconds * 1000,
        keepMs: records.recordTtlMs,
      })
    : new InProcessExportQueue(settings.concurrency)
  const runner = new ExportRunner({
    store: records,
    files,
    queryService,
    tempFiles,
    limits: { maxRangeDays: config.maxRangeDays, maxUsers: config.maxUsers },
    config: settings,
    log,
    metrics,
    people: fastify.people,
  })
  queue.start(runner.process, (id, reason) => void runner.lost(id, reason))
  metrics.watchExports(() => queue.counts())
  fastify.decorate('exports', { store: records, files, queue, runner })
  // Before the server stops: running jobs get the grace to finish, then go back to the queue. Fastify fails
  // a close whose hook outlasts pluginTimeout (10 s by default; 0: no limit), and the process would exit 1
  // before the job is handed back: the grace ends early enough for the hand-back to fit in it.
  const hookTimeoutMs = fastify.initialConfig.pluginTimeout ?? 0
  const graceMs =
    hookTimeoutMs > 0
      ? Math.min(SHUTDOWN_GRACE_MS, Math.max(0, hookTimeoutMs - HAND_BACK_MS))
      : SHUTDOWN_GRACE_MS
  fastify.addHook('preClose', async () => {
    await queue.close(graceMs)
  })
  fastify.addHook('onClose', async () => {
    await files.close()
  })
}

export default fp(exportsPlugin, {
  name: 'exports',
  dependencies: ['store', 'metrics', 'query-service', 'temp-files', 'people'],
})
