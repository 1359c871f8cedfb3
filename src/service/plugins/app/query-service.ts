// The query service with one adapter and one result cache per configured source, as
// `fastify.queryService`: the place where the domain (attendance/) meets the vendors and the cache.
// Closed with the app (it closes the vendors' agents).
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import type { SourceDayCache } from '../../../domain/attendance/day-cache.js'
import { QueryService } from '../../../domain/attendance/query-service.js'
import { CallAccounting } from '../../../domain/budgets/call-accounting.js'
import { tenantTag } from '../../../domain/cache/cache-keys.js'
import { StoreDayCache } from '../../../domain/cache/store-day-cache.js'
import { recordQueriedUsers } from '../../../domain/events/reconciler.js'
import type { SecretRedactor } from '../../../platform/logging/secret-redactor.js'
import { createAdapter } from '../../../vendors/create-adapter.js'
import { vendorOf } from '../../../vendors/registry.js'

declare module 'fastify' {
  interface FastifyInstance {
    queryService: QueryService
    /** Calls per source and month, budgets and spent quotas (GET /sources, metrics). */
    callAccounting: ReadonlyMap<string, CallAccounting>
  }
}

export interface QueryServicePluginOptions {
  redactor: SecretRedactor
}

async function queryServicePlugin(fastify: FastifyInstance, options: QueryServicePluginOptions) {
  const { config, store, metrics, log } = fastify
  const tagOf = (source: (typeof config.sources)[number]) =>
    tenantTag(source.vendor, source.baseUrl, vendorOf(source).appIdentity(source))
  const accounting = new Map(
    config.sources.map((source) => [
      source.id,
      new CallAccounting({
        store,
        tag: tagOf(source),
        timezone: source.timezone,
        monthlyCallBudget: source.monthlyCallBudget,
      }),
    ]),
  )
  const adapters = config.sources.map((source) =>
    createAdapter(source, {
      store,
      redactor: options.redactor,
      log: log as Logger,
      metrics,
      accounting: accounting.get(source.id),
    }),
  )
  const caches = new Map<string, SourceDayCache>()
  for (const source of config.sources) {
    if (source.cacheTtlSeconds === 0) continue
    const sourceMetrics = metrics.forSource(source.id)
    caches.set(
      source.id,
      new StoreDayCache({
        store,
        durable: store.durable,
        tag: tagOf(source),
        timezone: source.timezone,
        policy: {
          ttlSeconds: source.cacheTtlSeconds,
          recentTtlSeconds: source.recentCacheTtlSeconds,
          settleDays: source.settleDays,
        },
        onCoalescedWait: () => sourceMetrics.coalescedWait(),
        // A refetch that finds a day changed (no event told of it) goes in the change feed.
        onChanged: (days) => fastify.events.feed.record(source.id, days, 'refetch'),
        hashTtlMs: config.changesRetentionDays * 24 * 3600 * 1000,
        indexApprovals: source.vendor === 'dingtalk' && source.events.mode !== 'off',
      }),
    )
  }
  const { people } = fastify
  const queryService = new QueryService(adapters, metrics, {
    caches,
    budgets: accounting,
    personOf: (sourceId, userId) => people.personOf(sourceId, userId),
    onQueried: (sourceId, userIds) =>
      recordQueriedUsers(
        store,
        config.sources.find((source) => source.id === sourceId),
        userIds,
      ),
  })
  fastify.decorate('queryService', queryService)
  fastify.decorate('callAccounting', accounting)
  metrics.watchAccounting(accounting)
  fastify.addHook('onClose', () => queryService.close())
}

export default fp(queryServicePlugin, {
  name: 'query-service',
  dependencies: ['store', 'metrics', 'people', 'events'],
})
