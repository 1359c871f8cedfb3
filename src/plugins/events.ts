// Vendor change events as `fastify.events`: the change feed and what an event does (deduplicated, the
// days invalidated in the shared cache, recorded in the feed), with a log line and a metric per event.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ChangeFeed } from '../events/change-feed.js'
import type { DayInvalidator } from '../events/event-effects.js'
import { EventEffects } from '../events/event-effects.js'

declare module 'fastify' {
  interface FastifyInstance {
    events: {
      feed: ChangeFeed
      effects: EventEffects
      /** Fixed one-minute window per source, shared by the replicas: false past EVENTS_RATE_LIMIT_PER_MINUTE. */
      admit(sourceId: string): Promise<boolean>
    }
  }
}

async function eventsPlugin(fastify: FastifyInstance) {
  const { config, store, queryService, metrics, log } = fastify
  const feed = new ChangeFeed(store, config.changesRetentionDays)
  const caches = new Map<string, DayInvalidator>()
  for (const id of queryService.sourceIds) {
    const cache = queryService.cacheOf(id)
    if (cache) caches.set(id, cache)
  }
  const effects = new EventEffects({
    store,
    feed,
    caches,
    onOutcome: (event, outcome) => {
      metrics.event(event.source, event.type, outcome)
      log.info(
        {
          source: event.source,
          eventType: event.type,
          eventId: event.eventId,
          days: event.days.length,
          outcome,
        },
        'vendor event',
      )
    },
  })
  const admit = async (sourceId: string) => {
    const minute = Math.floor(Date.now() / 60_000)
    const count = await store.increment(`events:rate:{${sourceId}}:${minute}`, 1, 120_000).catch(() => 0)
    return count <= config.eventsPerMinute
  }
  fastify.decorate('events', { feed, effects, admit })
}

export default fp(eventsPlugin, { name: 'events', dependencies: ['store', 'metrics', 'query-service'] })
