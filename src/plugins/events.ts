// Vendor change events as `fastify.events`: the change feed and what an event does (deduplicated, the
// days invalidated in the shared cache, recorded in the feed), with a log line and a metric per event.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ChangeFeed } from '../events/change-feed.js'
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
  const { config, store, metrics, log } = fastify
  const feed = new ChangeFeed(store, config.changesRetentionDays)
  // Registered before the query service (whose caches record refetched changes in the feed), so the
  // caches are looked up when an event comes.
  const effects = new EventEffects({
    store: store.durable,
    feed,
    cacheOf: (sourceId) => fastify.queryService.cacheOf(sourceId),
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

export default fp(eventsPlugin, { name: 'events', dependencies: ['store', 'metrics'] })
