// Vendor change events as `fastify.events`: the change feed and what an event does (deduplicated, the
// days invalidated in the shared cache, recorded in the feed), with a log line and a metric per event.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ChangeFeed } from '../events/change-feed.js'
import { EventAdmission } from '../events/event-admission.js'
import { EventEffects } from '../events/event-effects.js'

declare module 'fastify' {
  interface FastifyInstance {
    events: {
      feed: ChangeFeed
      effects: EventEffects
      /** The webhooks' per-minute counts: events per source, failed checks per client address. */
      admission: EventAdmission
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
  const admission = new EventAdmission(store, {
    perSource: config.eventsPerMinute,
    failuresPerAddress: config.eventsFailuresPerMinute,
  })
  fastify.decorate('events', { feed, effects, admission })
}

export default fp(eventsPlugin, { name: 'events', dependencies: ['store', 'metrics'] })
