import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { mayReadSource } from '../../config/api-keys.js'
import { accessErrorResponses, apiKeySecurity } from '../../schemas/access.js'
import { Budget, MonthUsage } from '../../schemas/budget.js'
import { headersTooLarge, serviceUnavailable } from '../../schemas/responses.js'
import { StoreUnavailableError } from '../../store/shared-store.js'

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('degraded')], {
    description:
      '`ready`: config loaded, the shared store answers and the replica is not under pressure. `degraded`: the service answers queries, but from local state (see `store`), or it sheds load (`underPressure`).',
  }),
  underPressure: Type.Boolean({
    description:
      'The replica sheds load (event-loop delay or heap past MAX_EVENT_LOOP_DELAY_MS / MAX_HEAP_USED_BYTES): new queries get 503.',
  }),
  store: Type.Object({
    kind: Type.Union([Type.Literal('redis'), Type.Literal('memory')], {
      description: 'Which store is configured.',
    }),
    reachable: Type.Boolean({ description: 'Whether the configured store answered a ping just now.' }),
    mode: Type.Union([Type.Literal('shared'), Type.Literal('local-fallback')], {
      description:
        '`local-fallback`: Redis is away; tokens and rate limits are per process, at 1/EXPECTED_REPLICAS of each limit.',
    }),
  }),
  sources: Type.Integer({ description: 'How many sources are configured.' }),
})

const SourceInfo = Type.Object({
  id: Type.String({ description: 'Source id, as used in `users`.' }),
  vendor: Type.Union([Type.Literal('feishu'), Type.Literal('dingtalk')]),
  baseUrl: Type.String({ description: 'Vendor API base URL.' }),
  timezone: Type.String({ description: 'IANA time zone the source reports in.' }),
  rateLimitPerSecond: Type.Number({
    description: 'Outbound calls per sliding second, summed over all replicas: the configured rate.',
  }),
  rateInForce: Type.Number({
    description:
      'Calls per sliding second all replicas pace the source at now. `rateLimitPerSecond`, or less for a while after the vendor refused calls for rate: each refusal burst cuts it to 70%, and it climbs back by 2% of `rateLimitPerSecond` a second (adaptive pacing). Read from the shared store.',
  }),
  maxConcurrency: Type.Integer({ description: 'Vendor calls in flight at once per query.' }),
  maxConcurrentQueries: Type.Integer({ description: 'Queries of this source running at once per replica.' }),
  maxQueuedQueries: Type.Integer({
    description: 'Queries that may wait for their turn per replica; beyond it 503 `ATT_SOURCES_BUSY`.',
  }),
  load: Type.Object(
    {
      running: Type.Integer({ description: 'Queries of this source running now on this replica.' }),
      queued: Type.Integer({ description: 'Queries waiting for their turn on this replica.' }),
    },
    { description: 'This replica only.' },
  ),
  requestTimeoutMs: Type.Integer({ description: 'Timeout of one vendor call.' }),
  cache: Type.Object(
    {
      ttlSeconds: Type.Integer({ description: 'Settled days are kept this long; 0: no cache.' }),
      recentTtlSeconds: Type.Integer({
        description: 'The last `settleDays` days and today are kept this long.',
      }),
      settleDays: Type.Integer({ description: 'Days before today that still count as recent.' }),
    },
    { description: "The source's result cache." },
  ),
  retentionDays: Type.Integer({
    description: 'Days back from today the vendor still serves (DingTalk 180); 0: no limit.',
  }),
  events: Type.Object(
    {
      mode: Type.String({
        description: 'How change events arrive: `webhook`, `long-connection`, `stream` or `off`.',
      }),
      connected: Type.Union([Type.Boolean(), Type.Null()], {
        description: 'For a connection mode, whether this replica is connected; null for a webhook or off.',
      }),
      lastEventAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
        description: 'When the last event of this source was applied, on any replica; null when none yet.',
      }),
    },
    { description: "The source's change events." },
  ),
  usage: MonthUsage,
  budget: Budget,
  maxUsersPerCall: Type.Integer({ description: 'Vendor limit: users per call.' }),
  maxDaysPerCall: Type.Integer({ description: 'Vendor limit: inclusive days per call.' }),
})

const operationsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealth',
        tags: ['operations'],
        summary: 'Liveness: the process answers',
        description:
          'For a liveness probe: 200 as long as the process answers, even while it sheds load (a restart would not help). No API key.',
        security: [],
        response: {
          200: Type.Object(
            { status: Type.Literal('ok', { description: 'Always `ok`.' }) },
            { title: 'Health' },
          ),
          ...headersTooLarge,
        },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  fastify.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['operations'],
        summary: 'Readiness: config loaded and the shared store reachable (503 names what is not)',
        description:
          'For a readiness probe: 200 when the shared store answers and the replica sheds no load, else 503 with the same body saying which: a load balancer then sends traffic elsewhere. No API key.',
        security: [],
        response: {
          200: { ...Readiness, description: 'Ready.' },
          503: { ...Readiness, description: 'Not ready: `store.reachable` or `underPressure` says why.' },
          ...headersTooLarge,
        },
      },
    },
    async (_request, reply) => {
      const { store } = fastify
      let reachable = true
      try {
        await store.ping()
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error
        reachable = false
      }
      const mode = reachable ? 'shared' : 'local-fallback'
      const underPressure = fastify.isUnderPressure()
      const ready = reachable && !underPressure
      reply.status(ready ? 200 : 503)
      return {
        status: ready ? ('ready' as const) : ('degraded' as const),
        underPressure,
        store: { kind: store.kind, reachable, mode: mode as 'shared' | 'local-fallback' },
        sources: fastify.queryService.sourceIds.length,
      }
    },
  )

  fastify.get(
    '/sources',
    {
      onRequest: [fastify.apiRateLimit, fastify.authenticate],
      schema: {
        operationId: 'listSources',
        tags: ['operations'],
        summary: 'The configured sources and their limits (no credentials)',
        description: 'With API keys configured: only the sources the presented key may read.',
        security: apiKeySecurity,
        response: {
          200: Type.Object(
            { sources: Type.Array(SourceInfo, { description: 'In configuration order.' }) },
            { title: 'SourceList' },
          ),
          ...accessErrorResponses,
          ...serviceUnavailable(),
          ...headersTooLarge,
        },
      },
    },
    async (request) => ({
      sources: await Promise.all(
        fastify.queryService.adapters
          .filter(({ config }) => mayReadSource(request.apiKey, config.id))
          .map(async ({ config, limits, rateInForce }) => {
            const accounting = fastify.callAccounting.get(config.id)
            const calls = (await accounting?.usage().catch(() => undefined)) ?? {
              month: '',
              dataCalls: 0,
              tokenCalls: 0,
            }
            const allowance = fastify.events.allowances.get(config.id)
            const usage = {
              ...calls,
              eventPushes: allowance ? await allowance.used().catch(() => 0) : null,
              eventAllowance: allowance?.limit ?? null,
            }
            return {
              id: config.id,
              vendor: config.vendor,
              baseUrl: config.baseUrl,
              timezone: config.timezone,
              rateLimitPerSecond: config.rateLimitPerSecond,
              rateInForce: (await rateInForce?.().catch(() => undefined)) ?? config.rateLimitPerSecond,
              maxConcurrency: config.maxConcurrency,
              maxConcurrentQueries: config.maxConcurrentQueries,
              maxQueuedQueries: config.maxQueuedQueries,
              load: fastify.queryService.load(config.id) ?? { running: 0, queued: 0 },
              requestTimeoutMs: config.requestTimeoutMs,
              cache: {
                ttlSeconds: config.cacheTtlSeconds,
                recentTtlSeconds: config.recentCacheTtlSeconds,
                settleDays: config.settleDays,
              },
              retentionDays: config.retentionDays,
              events: {
                mode: config.events.mode,
                connected: fastify.eventConnections.connected(config.id),
                lastEventAt: await fastify.events.effects
                  .lastEventAt(config.id)
                  .then((at) => (at === null ? null : new Date(at).toISOString())),
              },
              usage,
              budget: (await accounting?.budget().catch(() => null)) ?? null,
              maxUsersPerCall: limits.maxUsersPerCall,
              maxDaysPerCall: limits.maxDaysPerCall,
            }
          }),
      ),
    }),
  )
}

export default operationsRoutes
