// Reconciliation rounds (per source `reconcile: {everyMinutes, days}`), started with the app and stopped
// with it, as `fastify.reconciler` (tests run a round directly).
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Reconciler } from '../../../domain/events/reconciler.js'

declare module 'fastify' {
  interface FastifyInstance {
    reconciler: Reconciler
  }
}

async function reconciliationPlugin(fastify: FastifyInstance) {
  const { config, store, queryService, log } = fastify
  const reconciler = new Reconciler({
    store,
    queryService,
    sources: config.sources,
    maxUsers: config.maxUsers,
    log,
  })
  fastify.decorate('reconciler', reconciler)
  fastify.addHook('onReady', async () => reconciler.start())
  fastify.addHook('preClose', async () => reconciler.close())
}

export default fp(reconciliationPlugin, { name: 'reconciliation', dependencies: ['store', 'query-service'] })
