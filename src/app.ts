// Builds the Fastify app: plugins first, then routes. It never listens (src/server.ts does), so tests build
// it with injected config and drive it with inject() or a real port.
import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { LogController } from 'fastify'
import type { Logger } from 'pino'
import { QueryService } from './attendance/query-service.js'
import type { Config } from './config/config.js'
import { startDemoSources } from './demo/demo-sources.js'
import { createLogger } from './logging/logger.js'
import { SecretRedactor } from './logging/secret-redactor.js'
import { ServiceMetrics } from './metrics/service-metrics.js'
import auth from './plugins/auth.js'
import { clientErrorHandler } from './plugins/client-error-handler.js'
import errorHandler from './plugins/error-handler.js'
import metricsPlugin from './plugins/metrics.js'
import rateLimit from './plugins/rate-limit.js'
import securityHeaders from './plugins/security-headers.js'
import swagger from './plugins/swagger.js'
import attendanceRoutes from './routes/attendance.js'
import operationsRoutes from './routes/operations.js'
import { type AppStore, createStore } from './store/create-store.js'
import { createAdapter } from './vendors/create-adapter.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    store: AppStore
    queryService: QueryService
    /** True when no source was configured and the app serves the embedded simulators. */
    demoMode: boolean
  }
}

export interface AppOptions {
  config: Config
  /** A ready logger (tests pass one writing to a stream they read); otherwise one is made from config. */
  logger?: Logger
  redactor?: SecretRedactor
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export async function buildApp(options: AppOptions) {
  const redactor = options.redactor ?? new SecretRedactor()
  const logger = options.logger ?? createLogger({ level: options.config.logLevel, redactor })

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
    clientErrorHandler,
    ajv: {
      // Formats (date, date-time) come with Fastify's default compiler.
      customOptions: { coerceTypes: true, useDefaults: true, removeAdditional: false, allErrors: false },
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  let config = options.config
  let demoMode = false
  if (config.sources.length === 0) {
    const demo = await startDemoSources()
    app.addHook('onClose', () => demo.close())
    config = { ...config, sources: demo.sources }
    demoMode = true
  }
  for (const source of config.sources) redactor.add(source.appSecret)

  const store = await createStore(config, logger)
  app.addHook('onClose', () => store.close())
  const metrics = new ServiceMetrics()
  const queryService = new QueryService(
    config.sources.map((source) => createAdapter(source, { store, redactor, log: logger, metrics })),
    metrics,
  )
  app.addHook('onClose', () => queryService.close())

  // The API takes JSON only: a text body is a wrong content type (415), not a malformed query (400).
  app.removeContentTypeParser('text/plain')

  app.decorate('config', config)
  app.decorate('store', store)
  app.decorate('queryService', queryService)
  app.decorate('demoMode', demoMode)

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
  await app.register(securityHeaders)
  await app.register(auth)
  await app.register(rateLimit)
  await app.register(swagger)
  await app.register(metricsPlugin, { metrics, store })
  await app.register(operationsRoutes)
  await app.register(attendanceRoutes)
  return app
}
