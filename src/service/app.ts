// Builds the Fastify app: plugins first, then routes. It never listens (src/service/server.ts does), so tests build
// it with injected config and drive it with inject() or a real port. It knows no simulator: demo mode's
// sources are started by the entry point and arrive here as configured sources.
import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyReply, type FastifyServerOptions, LogController } from 'fastify'
import type { Logger } from 'pino'
import { type Config, redisSettingsOf } from '../config/config.js'
import { createLogger } from '../platform/logging/logger.js'
import { SecretRedactor } from '../platform/logging/secret-redactor.js'
import { typeBoxValidator } from '../schemas/typebox-validator.js'
import auth from './plugins/app/auth.js'
import { clientErrorHandler } from './plugins/app/client-error-handler.js'
import connections, { connectionServerOptions } from './plugins/app/connections.js'
import errorHandler from './plugins/app/error-handler.js'
import eventConnections from './plugins/app/event-connections.js'
import events from './plugins/app/events.js'
import exportJobs from './plugins/app/exports.js'
import metrics from './plugins/app/metrics.js'
import people from './plugins/app/people.js'
import queryService from './plugins/app/query-service.js'
import reconciliation from './plugins/app/reconciliation.js'
import stalledAnswers from './plugins/app/stalled-answers.js'
import store from './plugins/app/store.js'
import tempFiles from './plugins/app/temp-files.js'
import loadShedding from './plugins/external/load-shedding.js'
import rateLimit from './plugins/external/rate-limit.js'
import securityHeaders from './plugins/external/security-headers.js'
import swagger from './plugins/external/swagger.js'
import changesRoutes from './routes/attendance/changes.js'
import exportRoutes from './routes/attendance/exports.js'
import planRoutes from './routes/attendance/plan.js'
import attendanceRoutes from './routes/attendance/results.js'
import summariesRoutes from './routes/attendance/summaries.js'
import eventRoutes from './routes/events.js'
import operationsRoutes from './routes/operations.js'
import peopleRoutes from './routes/people.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    /** True when the sources are the embedded simulators (no vendor configured). */
    demoMode: boolean
  }
}

export interface AppOptions {
  config: Config
  /** The sources are the embedded simulators (set by the entry point in demo mode). */
  demoMode?: boolean
  /** A ready logger (tests pass one writing to a stream they read); otherwise one is made from config. */
  logger?: Logger
  redactor?: SecretRedactor
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/
/** Longer than any URL Node reads within its header size limit (16 KiB by default). */
const MAX_PATH_PARAMETER_LENGTH = 65_536

function passwordInUrl(url: string | undefined): string | undefined {
  if (!url) return undefined
  try {
    return decodeURIComponent(new URL(url).password) || undefined
  } catch {
    return undefined
  }
}

export async function buildApp(options: AppOptions) {
  const { config } = options
  const redactor = options.redactor ?? new SecretRedactor()
  const logger = options.logger ?? createLogger({ level: config.logLevel, redactor })
  // Redis passwords (REDIS_PASSWORD, REDIS_SENTINEL_PASSWORD, or one inside REDIS_URL) are secrets too.
  const redis = redisSettingsOf(config) as { password?: string; sentinelPassword?: string } | undefined
  for (const secret of [redis?.password, redis?.sentinelPassword, passwordInUrl(config.redisUrl)]) {
    if (secret) redactor.add(secret)
  }
  for (const source of config.sources) {
    redactor.add(source.appSecret)
    // The event secrets too: an Encrypt Key or AES key in a log would let anyone forge events.
    const events = source.events as {
      verificationToken?: string
      encryptKey?: string
      token?: string
      aesKey?: string
    }
    for (const secret of [events.verificationToken, events.encryptKey, events.token, events.aesKey]) {
      if (secret) redactor.add(secret)
    }
  }

  const app = Fastify({
    loggerInstance: logger,
    // Honour the caller's x-request-id when it is a sane token; otherwise make one.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    // One line per request, written in onResponse below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: 1_048_576,
    // Every phase of a request is bounded (headers, body, idle keep-alive, a silent socket).
    ...connectionServerOptions(config.connections),
    clientErrorHandler,
    // A path that does not decode (`%zz`) is answered by the error handler like every other error, with a
    // request id, instead of Fastify's own body without a charset or an id. No hook runs for it.
    frameworkErrors: (error, request, reply: FastifyReply) => {
      reply.header('x-request-id', request.id).send(error)
    },
    // Path parameters are as long as the URL may be: their schemas (maxLength) refuse a long one with a
    // 400 that names it, where find-my-way's default of 100 characters answered an undocumented 414.
    routerOptions: { maxParamLength: MAX_PATH_PARAMETER_LENGTH },
    // Fastify fails a close whose hook outlasts pluginTimeout (10 s by default) and the process exits 1:
    // a shutdown waits for queries in flight (QUERY_TIMEOUT_MS) and for export jobs' grace, so it may take
    // that long. Start-up hooks do not get near it: each of them bounds its own waits (Redis: 3 s).
    pluginTimeout: config.queryTimeoutMs + 30_000,
    // Behind the load balancer: the client address (inbound rate limit per address, logs) comes from
    // X-Forwarded-For of the proxies named in TRUST_PROXY only.
    trustProxy: config.trustProxy as FastifyServerOptions['trustProxy'],
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(typeBoxValidator)

  // The API takes JSON only: a text body is a wrong content type (415), not a malformed query (400).
  app.removeContentTypeParser('text/plain')

  app.decorate('config', config)
  app.decorate('demoMode', options.demoMode ?? false)

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: redactor.scrubText(request.url.length > 512 ? `${request.url.slice(0, 512)}…` : request.url),
        statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
      },
      'request',
    )
  })

  await app.register(errorHandler)
  await app.register(connections)
  await app.register(stalledAnswers)
  await app.register(loadShedding)
  await app.register(securityHeaders)
  await app.register(store)
  await app.register(tempFiles)
  await app.register(metrics)
  await app.register(people)
  await app.register(events)
  await app.register(queryService, { redactor })
  await app.register(exportJobs)
  await app.register(reconciliation)
  await app.register(eventConnections)
  await app.register(auth)
  await app.register(rateLimit)
  await app.register(swagger)
  await app.register(operationsRoutes)
  await app.register(attendanceRoutes)
  await app.register(planRoutes)
  await app.register(exportRoutes)
  await app.register(summariesRoutes)
  await app.register(peopleRoutes)
  await app.register(changesRoutes)
  await app.register(eventRoutes)
  return app
}
