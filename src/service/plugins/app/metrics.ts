// GET /metrics in Prometheus' text format: the app's own metrics plus the process metrics. Open (no API
// key: scrapers reach it on the private network) and left out of the OpenAPI document, which describes
// the attendance API.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Registry } from 'prom-client'
import { processMetricsRegistry } from '../../../platform/metrics/process-metrics.js'
import { ServiceMetrics } from '../../../platform/metrics/service-metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics
  }
}

export interface MetricsPluginOptions {
  /** Also serve Node's process metrics (default true). */
  processMetrics?: boolean
}

async function metricsPlugin(fastify: FastifyInstance, options: MetricsPluginOptions) {
  const metrics = new ServiceMetrics()
  metrics.watchStore(fastify.store)
  // Merged once the app is ready: a merge copies the metrics registered so far, and plugins after this
  // one register theirs (monthly calls, DingTalk's event allowance) while the app is built.
  let served = metrics.registry
  fastify.addHook('onReady', async () => {
    if (options.processMetrics !== false)
      served = Registry.merge([metrics.registry, processMetricsRegistry()])
  })
  fastify.decorate('metrics', metrics)

  fastify.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(served.contentType)
    return served.metrics()
  })
}

export default fp(metricsPlugin, { name: 'metrics', dependencies: ['store'] })
