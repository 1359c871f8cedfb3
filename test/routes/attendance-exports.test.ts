// Export jobs over the app, its simulators and real Redis: a job goes queued → running → succeeded and
// its file is the CSV /attendance/results gives for the same query; two replicas on one Redis serve the
// same job and the same bytes; an export belongs to the key that made it; bad queries, reused
// Idempotency-Keys, forbidden sources and too many jobs are refused before any job exists; DELETE stops
// the vendor calls; files expire (410) and have a size cap; the in-process mode (no REDIS_URL) works alike.
import { createHash } from 'node:crypto'
import { parse } from 'csv-parse/sync'
import ExcelJS from 'exceljs'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import type { ExportConfig } from '../../src/config/config.js'
import type { SourceConfig } from '../../src/config/source-config.js'
import type { ExportJob } from '../../src/schemas/export.js'
import { sleep, until } from '../faults/helpers.js'
import { apiKey, bearer } from '../helpers/api-keys.js'
import {
  type Simulators,
  sourcesFor,
  startReplica,
  startSimulators,
  userList,
} from '../helpers/integration.js'
import { uniquePrefix } from '../helpers/redis.js'
import { testConfig } from '../helpers/test-app.js'

const ALICE = 'alice-export-key-0123456789abcdef'
const BOB = 'bob-export-key-0123456789abcdef01'
const READER = 'feishu-reader-key-0123456789abcd'
const API_KEYS = [
  apiKey('alice', ALICE),
  apiKey('bob', BOB),
  apiKey('feishu-reader', READER, { sources: ['feishu'] }),
]

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
// Monday to Friday: the simulators hold a day for every user on each of the five.
const FROM = '2024-05-06'
const TO = '2024-05-10'
const WEEKDAYS = 5
const CACHED = { cacheTtlSeconds: 21_600 }

type App = Awaited<ReturnType<typeof startReplica>>['app']

interface SetUpOptions {
  /** Replicas on one Redis (same prefix); 1 by default. */
  replicas?: number
  /** false: the in-process mode, no REDIS_URL. */
  redis?: boolean
  sources?: { feishu?: Partial<SourceConfig>; dingtalk?: Partial<SourceConfig> }
  exports?: Partial<ExportConfig>
  /** Delay of every simulator data call, ms. */
  latencyMs?: number
}

async function setUp(t: Test, options: SetUpOptions = {}): Promise<{ simulators: Simulators; apps: App[] }> {
  const simulators = await startSimulators(t)
  if (options.latencyMs) {
    simulators.feishu.configure({ latencyMs: options.latencyMs })
    simulators.dingtalk.configure({ latencyMs: options.latencyMs })
  }
  const sources = sourcesFor(simulators, options.sources)
  const redisKeyPrefix = uniquePrefix()
  const config = {
    apiKeys: API_KEYS,
    exports: { ...testConfig().exports, ...options.exports },
    ...(options.redis === false ? { redisUrl: undefined } : {}),
  }
  const apps: App[] = []
  for (let index = 0; index < (options.replicas ?? 1); index++) {
    apps.push((await startReplica(t, sources, { redisKeyPrefix, config })).app)
  }
  return { simulators, apps }
}

/** Sources slow enough to watch: Feishu at 2 calls a second, 50 users a call. */
const SLOW = { feishu: { ...CACHED, rateLimitPerSecond: 2 }, dingtalk: CACHED }

function body(users: string[], extra: Record<string, unknown> = {}) {
  return { from: FROM, to: TO, users, format: 'csv', ...extra }
}

function create(app: App, key: string, payload: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/attendance/exports',
    headers: { ...bearer(key), ...headers },
    payload: payload as Record<string, unknown>,
  })
}

async function created(app: App, key: string, payload: unknown): Promise<ExportJob> {
  const response = await create(app, key, payload)
  if (response.statusCode !== 202)
    throw new Error(`POST answered ${response.statusCode}: ${response.payload}`)
  return response.json<ExportJob>()
}

const get = (app: App, key: string, url: string) => app.inject({ method: 'GET', url, headers: bearer(key) })
const remove = (app: App, key: string, id: string) =>
  app.inject({ method: 'DELETE', url: `/attendance/exports/${id}`, headers: bearer(key) })
const fileOf = (app: App, key: string, id: string) => get(app, key, `/attendance/exports/${id}/file`)

async function list(app: App, key: string): Promise<ExportJob[]> {
  const response = await get(app, key, '/attendance/exports')
  if (response.statusCode !== 200) throw new Error(`list answered ${response.statusCode}`)
  return response.json<{ exports: ExportJob[] }>().exports
}

/** Polls the job until `done` holds; returns every view seen on the way, the last one first-class. */
async function watch(
  app: App,
  key: string,
  id: string,
  done: (job: ExportJob) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<{ job: ExportJob; seen: ExportJob[] }> {
  const seen: ExportJob[] = []
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const response = await get(app, key, `/attendance/exports/${id}`)
    // A busy machine can stall the event loop past a Redis command's deadline: the store's breaker then
    // opens for a few seconds, and the job is polled again, as a client does after Retry-After.
    if (
      response.statusCode === 503 &&
      errorOf(response).code === 'ATT_STORE_UNAVAILABLE' &&
      Date.now() < deadline
    ) {
      await sleep(200)
      continue
    }
    if (response.statusCode !== 200)
      throw new Error(`GET answered ${response.statusCode}: ${response.payload}`)
    const job = response.json<ExportJob>()
    seen.push(job)
    if (done(job)) return { job, seen }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${job.status})`)
    await sleep(20)
  }
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled'])
/** Final as stored: a cancel shows at once, but finishedAt is set only when the worker has stopped. */
const ended = (job: ExportJob) => FINAL.has(job.status) && job.finishedAt !== null

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

function errorOf(response: LightMyRequestResponse): { statusCode: number; code: string } {
  const { statusCode, code } = response.json<{ statusCode: number; code: string }>()
  return { statusCode, code }
}

function dataCalls(simulators: Simulators): number {
  return simulators.feishu.counters().dataCalls + simulators.dingtalk.counters().dataCalls
}

function nonDecreasing(values: number[]): boolean {
  return values.every((value, index) => index === 0 || value >= (values[index - 1] as number))
}

/**
 * The contract of one CSV job, created on `creator` and watched on `watcher`: its states and record
 * fields, 409 while it runs, then a file equal to /attendance/results' CSV for the same query.
 */
async function stateAndFile(t: Test, simulators: Simulators, creator: App, watcher: App) {
  const users = [...userList('feishu', 150), ...userList('dingtalk', 10)]
  const query = `from=${FROM}&to=${TO}&users=${users.join(',')}`
  const plan = (await get(creator, ALICE, `/attendance/plan?${query}`)).json<{
    sources: { plannedCalls: number }[]
  }>()
  const plannedCalls = plan.sources.reduce((sum, source) => sum + source.plannedCalls, 0)
  t.ok(plannedCalls >= 4, `the plan has ${plannedCalls} calls (Feishu 3 of them, 150 users in chunks of 50)`)

  const before = Date.now()
  const response = await create(creator, ALICE, body(users))
  t.equal(response.statusCode, 202)
  const queued = response.json<ExportJob>()
  t.match(queued, {
    status: 'queued',
    format: 'csv',
    from: FROM,
    to: TO,
    userCount: 160,
    startedAt: null,
    finishedAt: null,
    progress: { plannedCalls: 0, vendorCalls: 0, days: 0, percent: 0 },
    etaSeconds: null,
    complete: null,
    sources: [],
    file: null,
    error: null,
  })
  t.match(queued.id, /^[0-9a-f-]{36}$/)
  t.equal(response.headers.location, `/attendance/exports/${queued.id}`)
  const createdAt = Date.parse(queued.createdAt)
  t.ok(createdAt >= before && createdAt <= Date.now(), 'createdAt is now')

  const running = await watch(watcher, ALICE, queued.id, (job) => job.status === 'running', 'running')
  t.match(running.job, { id: queued.id, status: 'running', finishedAt: null, file: null })
  t.equal(running.job.progress.plannedCalls, plannedCalls, 'the plan of /attendance/plan')
  t.type(running.job.etaSeconds, 'number', 'an ETA while running')
  t.ok((running.job.etaSeconds as number) >= 0)
  t.ok(running.job.progress.percent < 100)
  t.ok(Date.parse(running.job.startedAt as string) >= createdAt, 'started after it was created')
  const early = await fileOf(watcher, ALICE, queued.id)
  t.same(errorOf(early), { statusCode: 409, code: 'ATT_EXPORT_NOT_READY' }, 'no file while it runs')

  const { job, seen } = await watch(watcher, ALICE, queued.id, ended, 'the job to end')
  const percents = [queued, ...running.seen, ...seen].map((view) => view.progress.percent)
  t.ok(nonDecreasing(percents), `percent never goes down: ${[...new Set(percents)].join(' → ')}`)
  t.ok(
    [...running.seen, ...seen].every((view) => view.status !== 'running' || view.progress.percent < 100),
    'below 100 while running',
  )
  t.match(job, {
    status: 'succeeded',
    complete: true,
    etaSeconds: null,
    error: null,
    progress: { plannedCalls, days: 160 * WEEKDAYS, percent: 100 },
  })
  t.equal(job.progress.vendorCalls, dataCalls(simulators), 'the data calls the simulators received')
  t.ok(job.progress.vendorCalls >= plannedCalls, 'every planned call made')
  t.same(
    job.sources.map((report) => [report.source, report.status]),
    [
      ['dingtalk', 'ok'],
      ['feishu', 'ok'],
    ],
  )
  const startedAt = Date.parse(job.startedAt as string)
  const finishedAt = Date.parse(job.finishedAt as string)
  t.ok(createdAt <= startedAt && startedAt <= finishedAt, 'created ≤ started ≤ finished')
  t.equal(job.file?.name, `attendance_${FROM}_${TO}.csv`)
  const expiresAt = Date.parse(job.file?.expiresAt as string)
  const ttlMs = testConfig().exports.ttlSeconds * 1000
  t.ok(
    expiresAt >= finishedAt + ttlMs - 1000 && expiresAt <= finishedAt + ttlMs,
    'expires EXPORT_TTL_SECONDS after it was written',
  )

  const download = await fileOf(watcher, ALICE, job.id)
  t.equal(download.statusCode, 200)
  t.equal(download.headers['content-type'], 'text/csv; charset=utf-8')
  t.equal(download.headers['content-disposition'], `attachment; filename="attendance_${FROM}_${TO}.csv"`)
  t.equal(Number(download.headers['content-length']), download.rawPayload.length)
  t.equal(download.rawPayload.length, job.file?.bytes, 'file.bytes')
  t.equal(sha256(download.rawPayload), job.file?.sha256, 'file.sha256')
  t.equal(download.headers.etag, `"${job.file?.sha256}"`)
  const fromCreator = await fileOf(creator, ALICE, job.id)
  t.ok(fromCreator.rawPayload.equals(download.rawPayload), 'the same bytes from the replica that took it')

  // The export filled the result cache: the synchronous CSV serves the same days, fetchedAt included.
  const callsBefore = dataCalls(simulators)
  const csv = await get(creator, ALICE, `/attendance/results?${query}&format=csv`)
  t.equal(csv.statusCode, 200)
  t.equal(dataCalls(simulators), callsBefore, 'served from the cache the export filled')
  t.ok(
    csv.rawPayload.equals(download.rawPayload),
    'the file is the CSV of /attendance/results, byte for byte',
  )
  const rows = parse(download.rawPayload) as string[][]
  t.ok(rows.length > 160 * WEEKDAYS, `a header and a row per segment (${rows.length} rows)`)
  t.same([...new Set(rows.slice(1).map((row) => row[0]))], ['dingtalk', 'feishu'], 'days of both sources')

  const [listed] = await list(watcher, ALICE)
  t.same(listed, job, 'the list shows the same job')
  return job
}

t.test(
  'a CSV job through its states on two replicas: created on A, polled and downloaded from B',
  async (t) => {
    const { simulators, apps } = await setUp(t, { replicas: 2, sources: SLOW, latencyMs: 100 })
    const [a, b] = apps as [App, App]
    t.equal(a.exports.queue.kind, 'bullmq')
    t.equal(a.exports.files.kind, 'redis')
    const job = await stateAndFile(t, simulators, a, b)
    const fromB = await fileOf(b, ALICE, job.id)
    const fromA = await fileOf(a, ALICE, job.id)
    t.ok(fromA.rawPayload.equals(fromB.rawPayload), 'A and B send the same bytes')
    t.equal(sha256(fromA.rawPayload), job.file?.sha256)
  },
)

t.test('the in-process mode (no REDIS_URL): the same states and the same file', async (t) => {
  const { simulators, apps } = await setUp(t, { redis: false, sources: SLOW, latencyMs: 100 })
  const [app] = apps as [App]
  t.equal(app.exports.queue.kind, 'in-process')
  t.equal(app.exports.files.kind, 'directory')
  await stateAndFile(t, simulators, app, app)
})

t.test('an XLSX export reads back with exceljs: sheet Days with the CSV’s rows, sheet Sources', async (t) => {
  const { apps } = await setUp(t, { sources: { feishu: CACHED, dingtalk: CACHED } })
  const [app] = apps as [App]
  const users = ['feishu:ou_a1', 'feishu:ou_b2', 'dingtalk:mgr01']
  const queued = await created(app, ALICE, body(users, { format: 'xlsx' }))
  const { job } = await watch(app, ALICE, queued.id, ended, 'the XLSX job to end')
  t.match(job, { status: 'succeeded', format: 'xlsx', file: { name: `attendance_${FROM}_${TO}.xlsx` } })
  const download = await fileOf(app, ALICE, job.id)
  t.equal(download.statusCode, 200)
  t.equal(download.headers['content-type'], XLSX)
  t.equal(download.headers['content-disposition'], `attachment; filename="attendance_${FROM}_${TO}.xlsx"`)
  t.equal(sha256(download.rawPayload), job.file?.sha256)

  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(download.rawPayload as unknown as ExcelJS.Buffer)
  t.same(
    workbook.worksheets.map((sheet) => sheet.name),
    // An XLSX of days also has the users' Summary sheet (issue 12).
    ['Days', 'Summary', 'Sources'],
  )
  const csv = await get(
    app,
    ALICE,
    `/attendance/results?from=${FROM}&to=${TO}&users=${users.join(',')}&format=csv`,
  )
  const csvRows = parse(csv.rawPayload) as string[][]
  const days = workbook.getWorksheet('Days') as ExcelJS.Worksheet
  t.equal(days.rowCount, csvRows.length, 'a header and the CSV’s rows')
  t.same((days.getRow(1).values as unknown[]).slice(1), csvRows[0], 'the CSV’s columns')
  t.same(
    Array.from({ length: days.rowCount - 1 }, (_, index) => days.getRow(index + 2).getCell(3).value),
    csvRows.slice(1).map((row) => row[2]),
    'the same users, row by row',
  )
  const sources = workbook.getWorksheet('Sources') as ExcelJS.Worksheet
  t.same(
    [2, 3].map((row) => [sources.getRow(row).getCell(1).value, sources.getRow(row).getCell(3).value]),
    [
      ['dingtalk', 'ok'],
      ['feishu', 'ok'],
    ],
  )
  t.same(
    [5, 6, 7].map((row) => (sources.getRow(row).values as unknown[]).slice(1)),
    [
      ['from', FROM],
      ['to', TO],
      ['complete', true],
    ],
    'then the query and whether it is complete',
  )
})

t.test('a bad query gets its 400 before any job exists', async (t) => {
  const { apps, simulators } = await setUp(t)
  const [app] = apps as [App]
  const refusals: [string, unknown, string][] = [
    ['reversed dates', { from: TO, to: FROM, users: ['feishu:u1'] }, 'ATT_RANGE_REVERSED'],
    ['an unknown source', { from: FROM, to: TO, users: ['slack:u1'] }, 'ATT_UNKNOWN_SOURCE'],
    [
      'too long a range',
      { from: '2024-01-01', to: '2024-12-31', users: ['feishu:u1'] },
      'ATT_RANGE_TOO_LONG',
    ],
    ['a malformed user', { from: FROM, to: TO, users: ['feishu:'] }, 'ATT_MALFORMED_USER'],
    ['a date that is not one', { from: '2024-02-30', to: TO, users: ['feishu:u1'] }, 'FST_ERR_VALIDATION'],
    ['no users', { from: FROM, to: TO, users: [] }, 'FST_ERR_VALIDATION'],
    ['an unknown field', { from: FROM, to: TO, users: ['feishu:u1'], strict: 1 }, 'FST_ERR_VALIDATION'],
    ['an unknown format', { from: FROM, to: TO, users: ['feishu:u1'], format: 'pdf' }, 'FST_ERR_VALIDATION'],
  ]
  for (const [what, payload, code] of refusals) {
    const response = await create(app, ALICE, payload, { 'idempotency-key': 'first-try' })
    t.same(errorOf(response), { statusCode: 400, code }, what)
  }
  t.same(await list(app, ALICE), [], 'no job was created')
  const counts = await app.exports.queue.counts()
  t.same(
    Object.values(counts).filter((count) => count > 0),
    [],
    'and nothing was queued',
  )
  t.equal(dataCalls(simulators), 0, 'nor a vendor called')
  // A refused request does not hold its Idempotency-Key: the corrected body may use it.
  const fixed = await create(app, ALICE, body(['feishu:u1']), { 'idempotency-key': 'first-try' })
  t.equal(fixed.statusCode, 202, 'the key of a refused request is still free')
  await watch(app, ALICE, fixed.json<ExportJob>().id, ended, 'the job to end')
})

t.test('Idempotency-Key: the same key and body give the same job; another body gets 422', async (t) => {
  const { apps } = await setUp(t, { replicas: 2 })
  const [a, b] = apps as [App, App]
  const key = { 'idempotency-key': 'payroll-2024-05' }
  const payload = body(['feishu:u1', 'dingtalk:d1'])
  const first = await create(a, ALICE, payload, key)
  t.equal(first.statusCode, 202)
  const job = first.json<ExportJob>()
  const again = await create(a, ALICE, payload, key)
  t.equal(again.statusCode, 202)
  t.equal(again.json<ExportJob>().id, job.id, 'the same job')
  t.equal(again.headers.location, `/attendance/exports/${job.id}`)
  const onB = await create(b, ALICE, payload, key)
  t.equal(onB.json<ExportJob>().id, job.id, 'the same job from the other replica')

  const other = await create(a, ALICE, body(['feishu:u1', 'dingtalk:d1'], { to: '2024-05-07' }), key)
  t.same(errorOf(other), { statusCode: 422, code: 'ATT_IDEMPOTENCY_KEY_REUSED' }, 'another body')
  const otherFormat = await create(a, ALICE, { ...payload, format: 'json' }, key)
  t.same(errorOf(otherFormat), { statusCode: 422, code: 'ATT_IDEMPOTENCY_KEY_REUSED' }, 'another format')

  const bobs = await create(a, BOB, payload, key)
  t.equal(bobs.statusCode, 202)
  t.not(bobs.json<ExportJob>().id, job.id, 'another API key with the same Idempotency-Key: its own job')
  const without = await create(a, ALICE, payload)
  t.not(without.json<ExportJob>().id, job.id, 'no key: a new job')

  t.same(
    (await list(a, ALICE)).map((listed) => listed.id).sort(),
    [job.id, without.json<ExportJob>().id].sort(),
    'two of Alice’s jobs, not four',
  )
  const done = await watch(b, ALICE, job.id, ended, 'the job to end')
  t.equal(done.job.status, 'succeeded')
  const afterwards = await create(b, ALICE, payload, key)
  t.same(afterwards.json<ExportJob>(), done.job, 'once finished, the same key shows the finished job')
  await watch(a, BOB, bobs.json<ExportJob>().id, ended, 'Bob’s job to end')
  await watch(a, ALICE, without.json<ExportJob>().id, ended, 'the job to end')
})

t.test('an export belongs to its API key: any other key gets 404 and does not see it', async (t) => {
  const { apps } = await setUp(t, { replicas: 2 })
  const [a, b] = apps as [App, App]
  const queued = await created(a, ALICE, body(['feishu:u1', 'dingtalk:d1']))
  const notFound = { statusCode: 404, code: 'ATT_EXPORT_NOT_FOUND' }
  t.same(errorOf(await get(b, BOB, `/attendance/exports/${queued.id}`)), notFound, 'GET')
  t.same(errorOf(await fileOf(b, BOB, queued.id)), notFound, 'GET file')
  t.same(errorOf(await remove(b, BOB, queued.id)), notFound, 'DELETE')
  t.same(await list(b, BOB), [], 'not in Bob’s list')
  t.same(
    errorOf(await get(b, BOB, '/attendance/exports/no-such-job')),
    notFound,
    'as for a job that never was',
  )
  const anonymous = await b.inject({ method: 'GET', url: `/attendance/exports/${queued.id}` })
  t.same(errorOf(anonymous), { statusCode: 401, code: 'ATT_UNAUTHORIZED' }, 'no key: 401')

  const { job } = await watch(b, ALICE, queued.id, ended, 'the job to end')
  t.equal(job.status, 'succeeded', 'Bob’s DELETE did not cancel it')
  t.equal((await fileOf(b, ALICE, job.id)).statusCode, 200)
  t.same(errorOf(await fileOf(a, BOB, job.id)), notFound, 'nor can Bob download it once written')
  t.same(errorOf(await remove(a, BOB, job.id)), notFound, 'or delete it')
  t.same(
    (await list(a, ALICE)).map((listed) => listed.id),
    [job.id],
  )
})

t.test('a key restricted to one source gets 403 for another, and no job', async (t) => {
  const { apps } = await setUp(t)
  const [app] = apps as [App]
  const forbidden = await create(app, READER, body(['feishu:u1', 'dingtalk:d1']))
  t.same(errorOf(forbidden), { statusCode: 403, code: 'ATT_FORBIDDEN_SOURCE' })
  t.same(await list(app, READER), [])
  const allowed = await create(app, READER, body(['feishu:u1']))
  t.equal(allowed.statusCode, 202, 'its own source: accepted')
  await watch(app, READER, allowed.json<ExportJob>().id, ended, 'the job to end')
})

t.test('past EXPORT_MAX_ACTIVE_PER_KEY queued or running jobs: 429, per key', async (t) => {
  const { apps } = await setUp(t, { sources: SLOW, exports: { concurrency: 1 } })
  const [app] = apps as [App]
  t.equal(app.config.exports.maxActivePerKey, 3, 'the default')
  // 1000 Feishu users: 20 calls at 2 a second, ten seconds a job; one runs at a time here.
  const slow = (index: number) => body(userList('feishu', 1000, `m${index}-`))
  const jobs = [await created(app, ALICE, slow(0)), await created(app, ALICE, slow(1))]
  jobs.push(await created(app, ALICE, slow(2)))
  const refused = await create(app, ALICE, slow(3))
  t.same(errorOf(refused), { statusCode: 429, code: 'ATT_TOO_MANY_EXPORTS' }, 'the fourth')
  t.equal((await list(app, ALICE)).length, 3, 'and no fourth job')
  const bobs = await created(app, BOB, slow(4))
  t.equal(bobs.status, 'queued', 'another key has its own three')

  // A job still queued is cancelled at once: its place is free for the next.
  const [, , third] = jobs as [ExportJob, ExportJob, ExportJob]
  const cancelThird = await remove(app, ALICE, third.id)
  t.equal(cancelThird.statusCode, 202)
  t.equal(cancelThird.json<ExportJob>().status, 'cancelled')
  const { job } = await watch(app, ALICE, third.id, ended, 'the queued job to be cancelled', 1000)
  t.match(job, { status: 'cancelled', startedAt: null, file: null })
  const next = await create(app, ALICE, slow(5))
  t.equal(next.statusCode, 202, 'a place again')
  jobs.push(next.json<ExportJob>())
  t.same(errorOf(await create(app, ALICE, slow(6))), { statusCode: 429, code: 'ATT_TOO_MANY_EXPORTS' })

  // A running job shown cancelled is no longer queued or running for its key, though its worker may take
  // up to a second to stop: the next job is accepted at once, as the list suggests.
  const first = jobs[0] as ExportJob
  await watch(app, ALICE, first.id, (job) => job.status === 'running', 'the first job to run')
  t.equal((await remove(app, ALICE, first.id)).statusCode, 202)
  t.same(
    (await list(app, ALICE)).filter((job) => job.status === 'queued' || job.status === 'running').length,
    2,
    'two of Alice’s jobs are listed queued or running',
  )
  const afterCancel = await create(app, ALICE, slow(7))
  t.equal(afterCancel.statusCode, 202, 'so a third is accepted')
  if (afterCancel.statusCode === 202) jobs.push(afterCancel.json<ExportJob>())

  const cancelled = new Set([third.id, first.id])
  const active = [...jobs.filter((j) => !cancelled.has(j.id)).map((j) => [ALICE, j.id]), [BOB, bobs.id]]
  for (const [key, id] of active as [string, string][]) {
    t.equal((await remove(app, key, id)).statusCode, 202)
  }
  for (const [key, id] of [...active, [ALICE, first.id]] as [string, string][]) {
    const { job: end } = await watch(app, key, id, ended, 'every job to end')
    t.equal(end.status, 'cancelled')
  }
  // DingTalk: the Feishu schedule still holds the slots the cancelled job had reserved (the limiter's
  // reservations are not given back), so a Feishu job would wait a few seconds for them.
  const last = await created(app, ALICE, body(['dingtalk:d1']))
  t.equal(last.status, 'queued', 'all ended: accepted again')
  t.equal((await watch(app, ALICE, last.id, ended, 'the last job to end')).job.status, 'succeeded')
})

t.test(
  'DELETE of a running job cancels it: its vendor calls stop, it ends cancelled without a file',
  async (t) => {
    const { apps, simulators } = await setUp(t, { replicas: 2, sources: SLOW })
    const [a, b] = apps as [App, App]
    const queued = await created(a, ALICE, body(userList('feishu', 1000)))
    await until(() => simulators.feishu.counters().dataCalls >= 2, 'the job to call Feishu')
    const running = (await get(a, ALICE, `/attendance/exports/${queued.id}`)).json<ExportJob>()
    t.equal(running.status, 'running')
    t.equal(running.progress.plannedCalls, 20, '1000 users in chunks of 50, one window')

    const response = await remove(b, ALICE, queued.id)
    t.equal(response.statusCode, 202, 'cancelled from the other replica')
    t.match(response.json<ExportJob>(), { id: queued.id, status: 'cancelled', file: null })
    t.equal(
      (await get(a, ALICE, `/attendance/exports/${queued.id}`)).json<ExportJob>().status,
      'cancelled',
      'shown cancelled at once, on every replica',
    )

    // The calls stop: two reads further apart than the runner's one-second look at the cancel flag agree.
    const deadline = Date.now() + 10_000
    let calls = simulators.feishu.counters().dataCalls
    for (;;) {
      await sleep(1200)
      const now = simulators.feishu.counters().dataCalls
      if (now === calls) break
      if (Date.now() > deadline) throw new Error(`the vendor calls did not stop (${now})`)
      calls = now
    }
    t.ok(calls < 20, `stopped after ${calls} of 20 calls`)
    const { job } = await watch(b, ALICE, queued.id, ended, 'the worker to end the job')
    t.match(job, { status: 'cancelled', file: null, error: null, etaSeconds: null })
    t.ok(job.progress.percent < 100, `percent stays where it got (${job.progress.percent})`)
    t.equal(job.progress.vendorCalls, calls, 'the record counts the calls the vendor received')
    t.same(errorOf(await fileOf(a, ALICE, job.id)), { statusCode: 409, code: 'ATT_EXPORT_NO_FILE' })
    t.equal(simulators.feishu.counters().dataCalls, calls, 'and no call since')
  },
)

t.test('DELETE of a finished job deletes it and its file: 204, then 404', async (t) => {
  const { apps } = await setUp(t, { replicas: 2 })
  const [a, b] = apps as [App, App]
  const queued = await created(a, ALICE, body(['feishu:u1', 'dingtalk:d1']))
  const { job } = await watch(a, ALICE, queued.id, ended, 'the job to end')
  t.equal(job.status, 'succeeded')
  const response = await remove(b, ALICE, job.id)
  t.equal(response.statusCode, 204)
  t.equal(response.payload, '')
  const notFound = { statusCode: 404, code: 'ATT_EXPORT_NOT_FOUND' }
  t.same(errorOf(await get(a, ALICE, `/attendance/exports/${job.id}`)), notFound)
  t.same(errorOf(await fileOf(a, ALICE, job.id)), notFound)
  t.same(errorOf(await remove(a, ALICE, job.id)), notFound, 'a second DELETE')
  t.same(await list(a, ALICE), [])
  t.equal(await a.exports.files.open(job.id), null, 'the stored file is gone')
})

t.test('once EXPORT_TTL_SECONDS have passed the file is gone: 410, the record stays', async (t) => {
  const { apps } = await setUp(t, { replicas: 2, exports: { ttlSeconds: 1 } })
  const [a, b] = apps as [App, App]
  const queued = await created(a, ALICE, body(['feishu:u1', 'dingtalk:d1']))
  const { job } = await watch(a, ALICE, queued.id, ended, 'the job to end')
  t.equal(job.status, 'succeeded')
  const expiresAt = Date.parse(job.file?.expiresAt as string)
  const finishedAt = Date.parse(job.finishedAt as string)
  t.ok(expiresAt > finishedAt && expiresAt <= finishedAt + 1000, 'one second after it was written')
  let gone: LightMyRequestResponse | undefined
  await until(
    async () => {
      gone = await fileOf(b, ALICE, job.id)
      return gone.statusCode !== 200
    },
    'the file to expire',
    10_000,
  )
  t.same(errorOf(gone as LightMyRequestResponse), { statusCode: 410, code: 'ATT_EXPORT_EXPIRED' })
  t.ok(Date.now() >= expiresAt, 'not before its expiresAt')
  t.same((await get(a, ALICE, `/attendance/exports/${job.id}`)).json<ExportJob>(), job, 'the job still shows')
  t.same(errorOf(await fileOf(a, ALICE, job.id)), { statusCode: 410, code: 'ATT_EXPORT_EXPIRED' }, 'on A too')
})

t.test('a file past EXPORT_MAX_FILE_BYTES fails the job with EXPORT_FILE_TOO_LARGE', async (t) => {
  const { apps } = await setUp(t, { exports: { maxFileBytes: 1024 } })
  const [app] = apps as [App]
  const queued = await created(app, ALICE, body(userList('feishu', 20)))
  const { job } = await watch(app, ALICE, queued.id, ended, 'the job to end')
  t.match(job, { status: 'failed', file: null, complete: null, error: { code: 'EXPORT_FILE_TOO_LARGE' } })
  t.match(job.error?.message, /EXPORT_MAX_FILE_BYTES \(1024 bytes\)/)
  t.same(errorOf(await fileOf(app, ALICE, job.id)), { statusCode: 409, code: 'ATT_EXPORT_NO_FILE' })
  await until(() => app.tempFiles.count === 0, 'the temporary file to be removed')
})

t.test('GET /attendance/exports lists the caller’s jobs, newest first', async (t) => {
  const { apps } = await setUp(t)
  const [app] = apps as [App]
  const ids: string[] = []
  for (const to of ['2024-05-06', '2024-05-07', '2024-05-08']) {
    const last = Date.now()
    // Distinct creation times, so that the order is the service's and not a tie's.
    await until(() => Date.now() > last, 'the clock to move')
    ids.push((await created(app, ALICE, body(['feishu:u1'], { to }))).id)
  }
  await created(app, BOB, body(['feishu:u2']))
  for (const id of ids) await watch(app, ALICE, id, ended, 'the jobs to end')
  const listed = await list(app, ALICE)
  t.same(
    listed.map((job) => job.id),
    [...ids].reverse(),
    'newest first',
  )
  t.same(
    listed.map((job) => job.to),
    ['2024-05-08', '2024-05-07', '2024-05-06'],
  )
  t.ok(
    listed.every((job) => job.status === 'succeeded' && job.file !== null),
    'full jobs',
  )
  t.equal((await list(app, BOB)).length, 1, 'Bob sees only his own')
})

t.test(
  'an Idempotency-Key used again after its job was deleted starts a new job, and DELETE of each finished job is 204',
  async (t) => {
    const { apps } = await setUp(t)
    const [app] = apps as [App]
    const key = { 'idempotency-key': 'reused-after-delete' }
    const payload = body(['feishu:u1', 'dingtalk:d1'])
    const ids: string[] = []
    // One more round than EXPORT_MAX_ACTIVE_PER_KEY: a job left queued by a round would be refused (429).
    for (let round = 0; round <= app.config.exports.maxActivePerKey; round++) {
      const response = await create(app, ALICE, payload, key)
      t.equal(response.statusCode, 202, `round ${round}: accepted`)
      const queued = response.json<ExportJob>()
      t.notOk(ids.includes(queued.id), `round ${round}: a new job, not the deleted one`)
      ids.push(queued.id)
      const again = await create(app, ALICE, payload, key)
      t.equal(again.json<ExportJob>().id, queued.id, `round ${round}: the key gives this job while it exists`)
      const { job } = await watch(app, ALICE, queued.id, ended, `round ${round}: the job to end`, 10_000)
      t.equal(job.status, 'succeeded', `round ${round}: it ran`)
      const deleted = await remove(app, ALICE, job.id)
      t.equal(deleted.statusCode, 204, `round ${round}: DELETE of the finished job`)
      t.same(await list(app, ALICE), [], `round ${round}: nothing left`)
    }
    await t.rejects(
      app.exports.queue.enqueue(ids[0] as string),
      /already/,
      'the queue refuses an id it has finished',
    )
  },
)

t.test('DELETE of a job that no worker will end writes its end: cancelled, then 204', async (t) => {
  const { apps } = await setUp(t)
  const [app] = apps as [App]
  const queued = await created(app, ALICE, body(['feishu:u1']))
  const { job } = await watch(app, ALICE, queued.id, ended, 'the job to end')
  t.equal(job.status, 'succeeded')
  // A record left queued with its queue entry finished (an end that was never written): nobody runs it.
  const stuck = await app.exports.store.get(job.id)
  if (!stuck) throw new Error('the record is stored')
  await app.exports.store.save({ ...stuck, status: 'queued', finishedAt: null, file: null })
  const cancelled = await remove(app, ALICE, job.id)
  t.equal(cancelled.statusCode, 202, 'not finished as stored: cancelled')
  t.match((await get(app, ALICE, `/attendance/exports/${job.id}`)).json<ExportJob>(), {
    status: 'cancelled',
    finishedAt: String,
  })
  t.equal((await remove(app, ALICE, job.id)).statusCode, 204, 'now finished: deleted')
  t.same(await list(app, ALICE), [])
})

t.test(
  'a running job whose days another query is fetching shows those calls as they are made, not 0 until it ends',
  async (t) => {
    // Feishu at 1 call a second with the result cache on: 500 users are 10 blocks, ten seconds.
    const { apps, simulators } = await setUp(t, {
      sources: { feishu: { ...CACHED, rateLimitPerSecond: 1 }, dingtalk: CACHED },
    })
    const [app] = apps as [App]
    const users = userList('feishu', 500)
    // Bob's query takes every block's lease at once, so the job waits for his fetches and makes no call.
    const query = app.inject({
      method: 'POST',
      url: '/attendance/results',
      headers: bearer(BOB),
      payload: { from: FROM, to: TO, users },
    })
    await until(() => simulators.feishu.counters().dataCalls >= 1, 'Bob’s query to call Feishu')
    const queued = await created(app, ALICE, body(users))
    const { job: running, seen } = await watch(
      app,
      ALICE,
      queued.id,
      (job) => ended(job) || (job.status === 'running' && job.progress.vendorCalls > 0),
      'the job to show a call made for it',
    )
    t.equal(running.status, 'running', 'seen while it runs')
    t.ok(running.progress.percent > 0, `percent moves (${running.progress.percent})`)
    t.ok(
      running.progress.vendorCalls < running.progress.plannedCalls,
      `${running.progress.vendorCalls} of ${running.progress.plannedCalls} planned calls`,
    )
    t.equal((await query).statusCode, 200)
    const { job } = await watch(app, ALICE, queued.id, ended, 'the job to end')
    t.match(job, { status: 'succeeded', complete: true, progress: { days: 500 * WEEKDAYS, percent: 100 } })
    t.equal(simulators.feishu.counters().dataCalls, 10, 'each block fetched once, by Bob’s query')
    const percents = [...seen, job].map((view) => view.progress.percent)
    t.ok(nonDecreasing(percents), `percent never goes down: ${[...new Set(percents)].join(' → ')}`)
  },
)
