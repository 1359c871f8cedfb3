// Vendor change events as `fastify.events`: the change feed and what an event does (deduplicated, the
// days invalidated in the shared cache, recorded in the feed, counted against DingTalk's event allowance),
// with a log line and a metric per event.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { DINGTALK_EVENT_ALLOWANCE, EventAllowance } from '../../../domain/budgets/event-allowance.js'
import { ChangeFeed } from '../../../domain/events/change-feed.js'
import { EventAdmission } from '../../../domain/events/event-admission.js'
import { EventEffects } from '../../../domain/events/event-effects.js'

declare module 'fastify' {
  interface FastifyInstance {
    events: {
      feed: ChangeFeed
      effects: EventEffects
      /** The webhooks' per-minute counts: events per source, failed checks per client address. */
      admission: EventAdmission
      /** DingTalk sources' monthly event allowances (/sources, metrics), by source id. */
      allowances: ReadonlyMap<string, EventAllowance>
    }
  }
}

async function eventsPlugin(fastify: FastifyInstance) {
  const { config, store, metrics, log } = fastify
  const feed = new ChangeFeed(store, config.changesRetentionDays)
  const allowances = new Map(
    config.sources.flatMap((source) =>
      source.vendor === 'dingtalk'
        ? [
            [
              source.id,
              new EventAllowance({
                store,
                sourceId: source.id,
                timezone: source.timezone,
                monthlyAllowance: source.events.monthlyAllowance ?? DINGTALK_EVENT_ALLOWANCE,
                onCrossed: ({ share, used, limit, month }) => {
                  const line = { source: source.id, used, limit, month }
                  if (share < 1) log.warn(line, `DingTalk event allowance: ${share * 100}% used this month`)
                  else
                    log.error(
                      line,
                      'DingTalk event allowance: all of it used this month; the vendor may stop pushing events (reconciliation is the safety net)',
                    )
                },
              }),
            ] as const,
          ]
        : [],
    ),
  )
  // Registered before the query service (whose caches record refetched changes in the feed), so the
  // caches are looked up when an event comes.
  const effects = new EventEffects({
    store: store.durable,
    feed,
    cacheOf: (sourceId) => fastify.queryService.cacheOf(sourceId),
    allowanceOf: (sourceId) => allowances.get(sourceId),
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
  metrics.watchEventAllowances(allowances)
  fastify.decorate('events', { feed, effects, admission, allowances })
}

export default fp(eventsPlugin, { name: 'events', dependencies: ['store', 'metrics'] })
