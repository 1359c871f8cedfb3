// The shared-state store (Redis, or memory without REDIS_URL) as `fastify.store`, closed with the app.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import { type AppStore, createStore } from '../../../store/create-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: AppStore
  }
}

async function storePlugin(fastify: FastifyInstance) {
  // Fastify's logger is the pino instance the app was built with.
  const store = await createStore(fastify.config, fastify.log as Logger)
  fastify.decorate('store', store)
  fastify.addHook('onClose', () => store.close())
}

export default fp(storePlugin, { name: 'store' })
