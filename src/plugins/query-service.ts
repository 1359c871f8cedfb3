// The query service with one adapter per configured source, as `fastify.queryService`: the only place
// where the domain (attendance/) meets the vendors. Closed with the app (it closes the vendors' agents).
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import { QueryService } from '../attendance/query-service.js'
import type { SecretRedactor } from '../logging/secret-redactor.js'
import { createAdapter } from '../vendors/create-adapter.js'

declare module 'fastify' {
  interface FastifyInstance {
    queryService: QueryService
  }
}

export interface QueryServicePluginOptions {
  redactor: SecretRedactor
}

async function queryServicePlugin(fastify: FastifyInstance, options: QueryServicePluginOptions) {
  const { config, store, metrics, log } = fastify
  const adapters = config.sources.map((source) =>
    createAdapter(source, { store, redactor: options.redactor, log: log as Logger, metrics }),
  )
  const queryService = new QueryService(adapters, metrics)
  fastify.decorate('queryService', queryService)
  fastify.addHook('onClose', () => queryService.close())
}

export default fp(queryServicePlugin, { name: 'query-service', dependencies: ['store', 'metrics'] })
