// Export jobs while Redis hangs (SIGSTOP: the connections stay open and nothing answers). A job either
// exists in Redis with its owner's index entry, or it was never accepted: so while Redis is away every
// export route answers 503 ATT_STORE_UNAVAILABLE with Retry-After, within a bound, never a 404 for a job
// that may exist nor a copy from one replica's memory; a job that finishes during the hang has its end
// written to Redis once it is back, not to memory only.
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import type { ExportJob } from '../../src/schemas/export.js'
import { ResilientStore } from '../../src/store/resilient-store.js'
import { apiKey, bearer } from '../helpers/api-keys.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'
import { privateRedis } from '../helpers/private-redis.js'
import { uniquePrefix } from '../helpers/redis.js'
import { sleep, until } from './helpers.js'

const KEY = 'export-hang-key-0123456789abcdef'
const FROM = '2024-05-06'
const TO = '2024-05-10'
/** Far above what any of these routes takes with Redis answering: a bound, not a speed claim. */
const ANSWER_WITHIN_MS = 5000

type App = Awaited<ReturnType<typeof startReplica>>['app']

async function setUp(t: Test, feishuRate = 50) {
  const redis = await privateRedis(t)
  const simulators = await startSimulators(t)
  const prefix = uniquePrefix()
  const sources = sourcesFor(simulators, { feishu: { rateLimitPerSecond: feishuRate } })
  const { app } = await startReplica(t, sources, {
    redisKeyPrefix: prefix,
    config: { redisUrl: redis.url, apiKeys: [apiKey('hang', KEY)] },
  })
  const { store } = app
  if (!(store instanceof ResilientStore)) throw new Error('with REDIS_URL the app runs on a ResilientStore')
  return { redis, simulators, prefix, app, store }
}

const request = (app: App, method: 'GET' | 'POST' | 'DELETE', url: string, extra = {}) =>
  app.inject({ method, url, headers: bearer(KEY), ...extra })

/** The answer, or a failure naming the route when none came within ANSWER_WITHIN_MS. */
async function answered(what: string, pending: Promise<LightMyRequestResponse>) {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${ANSWER_WITHIN_MS} ms`)),
      ANSWER_WITHIN_MS,
    )
  })
  try {
    return await Promise.race([pending, late])
  } finally {
    clearTimeout(timer)
  }
}

async function finished(app: App, id: string): Promise<ExportJob> {
  let job: ExportJob | undefined
  await until(
    async () => {
      const response = await request(app, 'GET', `/attendance/exports/${id}`)
      if (response.statusCode !== 200) return false
      job = response.json<ExportJob>()
      return job.finishedAt !== null
    },
    `export ${id} to finish`,
    30_000,
  )
  return job as ExportJob
}

t.test(
  'Redis frozen: every export route answers 503 ATT_STORE_UNAVAILABLE with Retry-After, and all is as before once it thaws',
  async (t) => {
    const { redis, simulators, app, store } = await setUp(t)
    const payload = { from: FROM, to: TO, users: ['feishu:u1', 'dingtalk:d1'], format: 'csv' }
    const post = await request(app, 'POST', '/attendance/exports', { payload })
    t.equal(post.statusCode, 202)
    const done = await finished(app, post.json<ExportJob>().id)
    t.equal(done.status, 'succeeded')
    const file = await request(app, 'GET', `/attendance/exports/${done.id}/file`)
    t.equal(file.statusCode, 200)
    const listed = (await request(app, 'GET', '/attendance/exports')).json<{ exports: ExportJob[] }>()
    t.same(
      listed.exports.map((job) => job.id),
      [done.id],
    )
    const callsBefore = simulators.feishu.counters().dataCalls + simulators.dingtalk.counters().dataCalls

    // Users of their own: a run of this job would show in the simulators' counters.
    const during = {
      from: FROM,
      to: TO,
      users: [...userList('feishu', 3, 'hang-'), ...userList('dingtalk', 3, 'hang-')],
      format: 'csv',
    }
    const routes: [string, () => Promise<LightMyRequestResponse>][] = [
      [
        'POST with an Idempotency-Key',
        () =>
          request(app, 'POST', '/attendance/exports', {
            payload: during,
            headers: { ...bearer(KEY), 'idempotency-key': 'during-the-hang' },
          }),
      ],
      ['GET of the job', () => request(app, 'GET', `/attendance/exports/${done.id}`)],
      ['GET of the list', () => request(app, 'GET', '/attendance/exports')],
      ['GET of the file', () => request(app, 'GET', `/attendance/exports/${done.id}/file`)],
      ['DELETE of the job', () => request(app, 'DELETE', `/attendance/exports/${done.id}`)],
      ['POST without a key', () => request(app, 'POST', '/attendance/exports', { payload: during })],
    ]
    redis.freeze()
    try {
      for (const [what, send] of routes) {
        const response = await answered(what, send())
        t.equal(response.statusCode, 503, `${what}: 503`)
        t.equal(response.json<{ code: string }>().code, 'ATT_STORE_UNAVAILABLE', `${what}: its code`)
        t.ok(
          Number(response.headers['retry-after']) >= 1,
          `${what}: Retry-After ${response.headers['retry-after']}`,
        )
      }
    } finally {
      redis.thaw()
    }
    await until(() => store.health().mode === 'shared', 'the store to go back to Redis', 30_000)
    const job = await request(app, 'GET', `/attendance/exports/${done.id}`)
    t.equal(job.statusCode, 200, 'the job is still there: the DELETE did not happen')
    t.same(job.json<ExportJob>(), done, 'as it was')
    const again = await request(app, 'GET', `/attendance/exports/${done.id}/file`)
    t.equal(again.statusCode, 200)
    t.ok(again.rawPayload.equals(file.rawPayload), 'the same file')
    const after = (await request(app, 'GET', '/attendance/exports')).json<{ exports: ExportJob[] }>()
    t.same(after.exports, [done], 'the list as before: no job from the hang')
    // A job accepted during the hang would have run by now.
    await sleep(1500)
    t.equal(
      simulators.feishu.counters().dataCalls + simulators.dingtalk.counters().dataCalls,
      callsBefore,
      'no vendor call for the refused POSTs',
    )
    const retried = await request(app, 'POST', '/attendance/exports', {
      payload: during,
      headers: { ...bearer(KEY), 'idempotency-key': 'during-the-hang' },
    })
    t.equal(retried.statusCode, 202, 'the refused POST, sent again, is accepted now')
    const retriedJob = await finished(app, retried.json<ExportJob>().id)
    t.equal(retriedJob.status, 'succeeded')
    t.same(
      (await request(app, 'GET', '/attendance/exports'))
        .json<{ exports: ExportJob[] }>()
        .exports.map((j) => j.id),
      [retriedJob.id, done.id],
      'and listed',
    )
  },
)

t.test(
  'a job that finishes while Redis is frozen has its end in Redis once it thaws, not in one replica’s memory',
  async (t) => {
    // Feishu at 2 calls a second: 300 users are 6 calls, about 3 s.
    const { redis, simulators, prefix, app, store } = await setUp(t, 2)
    const payload = { from: FROM, to: TO, users: userList('feishu', 300), format: 'csv' }
    const post = await request(app, 'POST', '/attendance/exports', { payload })
    t.equal(post.statusCode, 202)
    const { id } = post.json<ExportJob>()
    // Frozen before the last call: the store's breaker opens on it (the call goes out on local state),
    // the file then waits to be stored, and Redis thaws while the breaker is still open.
    await until(() => simulators.feishu.counters().dataCalls >= 5, 'the job to be nearly done')
    redis.freeze()
    try {
      await until(() => simulators.feishu.counters().dataCalls >= 6, 'the last call of the job', 20_000)
      await sleep(500)
    } finally {
      redis.thaw()
    }
    t.equal(store.health().mode, 'local-fallback', 'thawed while the breaker is open')
    await until(() => store.health().mode === 'shared', 'the store to go back to Redis', 30_000)
    const job = await finished(app, id)
    t.match(job, { status: 'succeeded', complete: true, progress: { days: 300 * 5 } })
    const stored = JSON.parse((await redis.read(`${prefix}export:{${id}}:record`)) ?? 'null') as {
      status: string
    } | null
    t.equal(stored?.status, 'succeeded', 'the record in Redis says so')
    const file = await request(app, 'GET', `/attendance/exports/${id}/file`)
    t.equal(file.statusCode, 200)
    t.equal(file.rawPayload.length, job.file?.bytes, 'and its file is served')
  },
)
