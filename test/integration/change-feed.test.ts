// The change feed over HTTP with real Redis and the simulators: a refetch that finds a day changed (no
// event) is listed once, reconciliation finds a change that no event announced, a cursor past the
// retention gets 410, and the feed follows the API key's source rules.
import type { Test } from 'tap'
import t from 'tap'
import type { SourceConfig } from '../../src/config/source-config.js'
import { Reconciler } from '../../src/domain/events/reconciler.js'
import { apiKey, bearer } from '../helpers/api-keys.js'
import { sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'

const KEY = 'feed-reader-key-1'
const DINGTALK_ONLY = 'feed-dingtalk-key-2'

async function setUp(t: Test) {
  const simulators = await startSimulators(t)
  const sources = sourcesFor(simulators, {
    dingtalk: { cacheTtlSeconds: 21_600, reconcile: { everyMinutes: 60, days: 7 } } as Partial<SourceConfig>,
  })
  const { app } = await startReplica(t, sources, {
    config: { apiKeys: [apiKey('reader', KEY), apiKey('dt-only', DINGTALK_ONLY, { sources: ['dingtalk'] })] },
  })
  const changes = async (since?: string, key = KEY) =>
    app.inject({
      url: `/attendance/changes?source=dingtalk${since ? `&since=${since}` : ''}`,
      headers: bearer(key),
    })
  return { simulators, app, changes }
}

t.test('a refetch that finds a day changed is listed once; an unchanged refetch adds nothing', async (t) => {
  const { simulators, app, changes } = await setUp(t)
  const range = { from: '2024-05-06', to: '2024-05-08' }
  const url = `/attendance/results?from=${range.from}&to=${range.to}&users=dingtalk:d1`
  const first = (await app.inject({ url, headers: bearer(KEY) })).json()
  t.equal(first.complete, true)
  const day = first.results[0]
  t.ok(day, 'the user has a day to change')
  t.same((await changes()).json().changes, [], 'a first fetch is no change')

  simulators.dingtalk.setDay('d1', day.workDate, { checks: { OffDuty: { timeResult: 'NotSigned' } } })
  await app.inject({ url: `${url}&maxAge=0`, headers: bearer(KEY) })
  const listed = (await changes()).json()
  t.same(
    listed.changes.map((change: { userId: string; workDate: string; reason: string }) => [
      change.userId,
      change.workDate,
      change.reason,
    ]),
    [['d1', day.workDate, 'refetch']],
  )
  await app.inject({ url: `${url}&maxAge=0`, headers: bearer(KEY) })
  t.same((await changes(listed.next)).json().changes, [], 'the same content again is no change')
})

t.test('reconciliation finds a change that no event announced, once per round across replicas', async (t) => {
  const { simulators, app, changes } = await setUp(t)
  const source = app.config.sources.find((candidate) => candidate.id === 'dingtalk') as SourceConfig
  // The rounds look at the last 7 days before "now": a clock on 2024-05-10 (Shanghai) keeps them on the
  // simulator's fixed data.
  const reconciler = new Reconciler({
    store: app.store,
    queryService: app.queryService,
    sources: app.config.sources,
    maxUsers: 100,
    log: app.log,
    now: () => Date.parse('2024-05-10T12:00:00+08:00'),
  })
  const answer = (
    await app.inject({
      url: '/attendance/results?from=2024-05-04&to=2024-05-10&users=dingtalk:d1,dingtalk:d2',
      headers: bearer(KEY),
    })
  ).json()
  const day = answer.results.find((candidate: { userId: string }) => candidate.userId === 'd2')
  t.ok(day, 'd2 has a day in the window')
  simulators.dingtalk.setDay('d2', day.workDate, { checks: { OnDuty: { timeResult: 'NotSigned' } } })
  const before = simulators.dingtalk.counters().dataCalls

  // The queried users are recorded in the background: poll until a round sees both.
  let round = await reconciler.round(source)
  for (let tries = 0; round?.users !== 2 && tries < 50; tries++) {
    await app.store.delete('reconcile:{dingtalk}')
    await new Promise((resolve) => setTimeout(resolve, 20))
    round = await reconciler.round(source)
  }
  t.match(round, { source: 'dingtalk', users: 2, from: '2024-05-04', to: '2024-05-10', status: 'ok' })
  t.ok((round?.vendorCalls ?? 0) > 0, 'the round called the vendor')
  t.ok(simulators.dingtalk.counters().dataCalls > before, 'the calls reached the simulator')
  const listed = (await changes()).json().changes as { userId: string; workDate: string; reason: string }[]
  t.same(
    listed.map((change) => [change.userId, change.workDate, change.reason]),
    [['d2', day.workDate, 'refetch']],
    'only the changed day, as a refetch',
  )
  t.equal(
    await reconciler.round(source),
    undefined,
    'a second round in the same interval is refused by the lock',
  )
})

t.test('the feed: 410 past retention, 400 for an unknown source or a bad cursor, key rules', async (t) => {
  const { app, changes } = await setUp(t)
  const expired = await changes('1-0')
  t.equal(expired.statusCode, 410)
  t.equal(expired.json().code, 'ATT_CURSOR_EXPIRED')
  t.match(expired.json().message, /pull the range in full/)
  t.equal((await changes('yesterday')).statusCode, 400)
  const unknown = await app.inject({ url: '/attendance/changes?source=nope', headers: bearer(KEY) })
  t.equal(unknown.json().code, 'ATT_UNKNOWN_SOURCE')
  const forbidden = await app.inject({
    url: '/attendance/changes?source=feishu',
    headers: bearer(DINGTALK_ONLY),
  })
  t.equal(forbidden.statusCode, 403)
  t.equal((await changes(undefined, DINGTALK_ONLY)).statusCode, 200)
  t.equal((await app.inject('/attendance/changes?source=dingtalk')).statusCode, 401, 'an API key is needed')
})
