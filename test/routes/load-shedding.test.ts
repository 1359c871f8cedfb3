// Load shedding: a replica under pressure answers 503 with Retry-After before it falls over, and a source
// runs a bounded number of queries at once with a bounded queue behind them (503 beyond it).
import t from 'tap'
import { loadConfig } from '../../src/config/config.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { comparableAnswer } from '../helpers/answers.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'
import { buildTestApp, testConfig } from '../helpers/test-app.js'

async function until(condition: () => boolean, what: string) {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  if (!condition()) throw new Error(`gave up waiting for ${what}`)
}

/**
 * Holds the event loop `ms` at a time, `times` times, letting timers run in between: each turn of the loop
 * then lags about `ms`, what a CPU-starved machine (other work on its cores) does to every test process.
 */
async function lagEventLoop(ms: number, times: number): Promise<void> {
  for (let turn = 0; turn < times; turn++) {
    await new Promise((resolve) => setImmediate(resolve))
    const until = Date.now() + ms
    while (Date.now() < until) {
      // busy: nothing else runs meanwhile
    }
  }
}

t.test('under pressure: 503 with Retry-After in the error shape; liveness still answers', async (t) => {
  const { pressure } = testConfig()
  // A heap bound no process can stay under: the first memory sample puts the replica under pressure.
  const { app } = await buildTestApp(t, { pressure: { ...pressure, maxHeapUsedBytes: 1 } })
  await until(() => app.isUnderPressure(), 'the first memory sample')
  const refused = await app.inject('/attendance/results?from=2024-05-06&to=2024-05-06&users=feishu:u1')
  t.equal(refused.statusCode, 503)
  t.equal(refused.headers['retry-after'], String(pressure.retryAfterSeconds))
  t.match(refused.json(), {
    statusCode: 503,
    code: 'ATT_OVERLOADED',
    error: 'Service Unavailable',
    message: /heap \d+ MiB in use/,
  })
  const ready = await app.inject('/readyz')
  t.equal(ready.statusCode, 503, `readiness takes the replica out of rotation: ${ready.body}`)
  t.equal((await app.inject('/healthz')).statusCode, 200, 'liveness does not: a restart would not help')
  t.equal((await app.inject('/metrics')).statusCode, 200)
})

t.test('a source runs maxConcurrentQueries at once, queues maxQueuedQueries, refuses the rest', async (t) => {
  const simulators = await startSimulators(t, { dingtalk: { latencyMs: 150 } })
  const { app } = await startReplica(
    t,
    sourcesFor(simulators, { dingtalk: { maxConcurrentQueries: 1, maxQueuedQueries: 1 } }),
  )
  const url = `/attendance/results?from=2024-05-06&to=2024-05-08&users=${userList('dingtalk', 3).join(',')}`
  const load = () => app.queryService.load('dingtalk') ?? { running: -1, queued: -1 }

  const first = app.inject(url)
  await until(() => load().running === 1, 'the first query to run')
  const second = app.inject(url)
  await until(() => load().queued === 1, 'the second query to queue')
  const third = await app.inject(url)
  t.equal(third.statusCode, 503, 'the queue is full')
  t.equal(third.headers['retry-after'], '5')
  t.match(third.json(), { code: 'ATT_SOURCES_BUSY', message: /source\(s\) dingtalk/ })

  const [a, b] = await Promise.all([first, second])
  t.equal(a.statusCode, 200)
  t.equal(b.statusCode, 200)
  const answerA = a.json<AttendanceResponse>()
  t.equal(answerA.complete, true)
  t.ok(answerA.results.length > 0)
  t.same(
    comparableAnswer(b.json<AttendanceResponse>()).results,
    comparableAnswer(answerA).results,
    'the queued query got the same answer',
  )
  t.same(load(), { running: 0, queued: 0 }, 'every place was given back')

  const feishu = await app.inject(`/attendance/results?from=2024-05-06&to=2024-05-08&users=feishu:u1`)
  t.equal(feishu.statusCode, 200, 'another source is not held back')
})

t.test(
  'an app from the test helpers sheds no load: it answers through an event-loop lag that the defaults shed',
  async (t) => {
    const defaults = loadConfig({}).pressure
    t.ok(defaults.maxEventLoopDelayMs > 0, 'the service sheds on event-loop delay by default')
    // The same lag against both: the defaults show that it is enough to shed load.
    const { app: onDefaults } = await buildTestApp(t, { pressure: defaults })
    const { app } = await buildTestApp(t)
    t.same(
      [app.config.pressure.maxEventLoopDelayMs, app.config.pressure.maxHeapUsedBytes],
      [0, 0],
      'both bounds off (under-pressure reads 0 as "no bound")',
    )
    const lagMs = defaults.maxEventLoopDelayMs + 500
    // Four sampling intervals of under-pressure (1 s each) of nothing but lagging turns, at the most.
    for (let round = 0; round < 4 && !onDefaults.isUnderPressure(); round++) {
      await lagEventLoop(lagMs, Math.ceil(1000 / lagMs) + 1)
    }
    t.equal(onDefaults.isUnderPressure(), true, 'the lag puts an app on the defaults under pressure')
    const refused = await onDefaults.inject('/sources')
    t.equal(refused.statusCode, 503)
    t.equal(refused.json().code, 'ATT_OVERLOADED')

    t.equal(app.isUnderPressure(), false, 'the same lag leaves the helper-built app alone')
    const answered = await app.inject('/sources')
    t.equal(answered.statusCode, 200, answered.body)
  },
)
