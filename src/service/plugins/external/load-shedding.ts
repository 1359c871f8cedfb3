// Load shedding with @fastify/under-pressure: while the event loop lags or the heap is nearly full, new
// requests get 503 with Retry-After in the service's error shape instead of piling onto a process that is
// about to fall over. Liveness and metrics still answer (a restart would not help, and the operator must
// see why); readiness answers too, with 503 and `underPressure: true`, so a load balancer sends traffic to
// other replicas.
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { OverloadedError } from '../../../errors/errors.js'
import { guardMemoryUsage } from '../../../platform/metrics/memory-usage.js'

const ALWAYS_ANSWERED = new Set(['/healthz', '/readyz', '/metrics'])

async function loadSheddingPlugin(fastify: FastifyInstance) {
  const { maxEventLoopDelayMs, maxHeapUsedBytes, retryAfterSeconds } = fastify.config.pressure
  // Its probe must not end the process when file descriptors run out (see memory-usage.ts).
  guardMemoryUsage()
  await fastify.register(underPressure, {
    maxEventLoopDelay: maxEventLoopDelayMs,
    maxHeapUsedBytes,
    retryAfter: retryAfterSeconds,
    pressureHandler: (request, reply, type, value) => {
      if (ALWAYS_ANSWERED.has(request.url.split('?')[0] ?? '')) return undefined // let it through
      const what =
        type === 'eventLoopDelay'
          ? `event-loop delay ${Math.round(Number(value))} ms`
          : type === 'heapUsedBytes'
            ? `heap ${Math.round(Number(value) / 1048576)} MiB in use`
            : String(type)
      request.log.warn({ pressure: type, value }, 'shedding load')
      reply.header('retry-after', String(retryAfterSeconds))
      // A rejected promise reaches the error handler through under-pressure's next(error).
      return Promise.reject(new OverloadedError(what, retryAfterSeconds))
    },
  })
}

export default fp(loadSheddingPlugin, { name: 'load-shedding', dependencies: ['error-handler'] })
