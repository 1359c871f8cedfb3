// Every answer the served OpenAPI document lists, (operation, status) by (operation, status), is provoked
// here at least once, and each is held against the document twice: on the server side by the hook of the
// test helpers (test/helpers/openapi-hook.ts), and here on the client side, which records the pairs the
// answer stands for. The last test compares that record with the document's list, so a status or an
// operation added to the document without a way to provoke it here fails. One app per way of refusing: the
// main one (Redis, the simulators, webhook sources, API keys) and a replica of it where the key reads less,
// one that sheds load, one with a rate limit of one request a minute, one whose routes fail unexpectedly.
import { request as httpRequest } from 'node:http'
import t, { type Test } from 'tap'
import type { SourceConfig } from '../../src/config/source-config.js'
import type { ExportJob } from '../../src/schemas/export.js'
import { dingtalkSignature, encryptDingtalk } from '../../src/vendors/dingtalk/crypto.js'
import { encryptFeishu, feishuSignature } from '../../src/vendors/feishu/crypto.js'
import { until } from '../faults/helpers.js'
import { apiKey, bearer } from '../helpers/api-keys.js'
import { sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'
import { OpenApiContract, type OpenApiDocument } from '../helpers/openapi-contract.js'
import { uniquePrefix } from '../helpers/redis.js'
import { buildTestApp, testConfig } from '../helpers/test-app.js'

const KEY = 'statuses-payroll-key-5e0c1d2b9a'
const FEISHU_ONLY = 'statuses-feishu-reader-key-77a3'
const VT = 'statuses-verification-token'
const EK = 'statuses-encrypt-key'
const TOKEN = 'statuses-token'
const AES = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const DAY = { from: '2024-05-06', to: '2024-05-06' }
/** Past the 1 MiB body limit of the API routes, and the 256 KiB of the webhooks. */
const TOO_BIG = `{"pad":"${'x'.repeat(1_100_000)}"}`
/** The header a request of the failing app carries to make its route fail. */
const FAULT = 'x-provoke-unexpected-failure'

type App = Awaited<ReturnType<typeof startReplica>>['app']

interface Call {
  method: string
  url: string
  headers: Record<string, string>
  payload?: string
}

interface Answer {
  status: number
  headers: Record<string, unknown>
  body: Buffer
}

/** What a call adds to its operation's method and path. */
interface Spec {
  params?: Record<string, string>
  query?: Record<string, string>
  headers?: Record<string, string>
  payload?: unknown
}

// --- the apps -----------------------------------------------------------------------------------------

async function webhookSources(t: Test) {
  const simulators = await startSimulators(t)
  // A Feishu whose every data call takes two minutes: an export of it runs until it is cancelled.
  const slowSimulators = await startSimulators(t, { feishu: { latencyMs: 120_000 } })
  const [feishu, dingtalk] = sourcesFor(simulators, {
    feishu: { events: { mode: 'webhook', verificationToken: VT, encryptKey: EK } } as Partial<SourceConfig>,
    dingtalk: { events: { mode: 'webhook', token: TOKEN, aesKey: AES } } as Partial<SourceConfig>,
  }) as [SourceConfig, SourceConfig]
  // …and whose calls the service waits for as long as it may (not its default 10 s): until it is cancelled.
  const [slow] = sourcesFor(slowSimulators, { feishu: { requestTimeoutMs: 300_000 } }) as [SourceConfig]
  const sources = [
    feishu,
    dingtalk,
    { ...feishu, id: 'plain', events: { mode: 'webhook', verificationToken: VT } },
    // Refused by the vendor at once (an app it does not know): its users make every answer incomplete.
    { ...dingtalk, id: 'broken', appKey: 'not-an-app', appSecret: 'not-a-secret', events: { mode: 'off' } },
    { ...slow, id: 'slow' },
  ] as SourceConfig[]
  return { sources, appKey: simulators.dingtalk.credentials.appKey }
}

const { sources, appKey } = await webhookSources(t)
const prefix = uniquePrefix()
const keys = [apiKey('payroll', KEY), apiKey('feishu-reader', FEISHU_ONLY, { sources: ['feishu'] })]
const { app: main } = await startReplica(t, sources, { redisKeyPrefix: prefix, config: { apiKeys: keys } })
// The same fleet, where the payroll key has since been narrowed to Feishu.
const { app: narrowed } = await startReplica(t, sources, {
  redisKeyPrefix: prefix,
  config: { apiKeys: [apiKey('payroll', KEY, { sources: ['feishu', 'plain', 'slow'] })] },
})
const contract = new OpenApiContract((await main.inject('/docs/json')).json<OpenApiDocument>())
const document = (await main.inject('/docs/json')).json<{
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>
}>()

/** Each operation's method and path, from the document. */
const operations = new Map(
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => [
      operation.operationId,
      { method: method.toUpperCase(), path, statuses: Object.keys(operation.responses) },
    ]),
  ),
)

/** The operations that document `status`. */
const documenting = (status: string) =>
  [...operations].filter(([, operation]) => operation.statuses.includes(status)).map(([id]) => id)

// --- calls --------------------------------------------------------------------------------------------

function callOf(operationId: string, spec: Spec): Call {
  const operation = operations.get(operationId)
  if (!operation) throw new Error(`the document has no operation ${operationId}`)
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(spec.params?.[name] ?? 'no-such-thing'),
  )
  const query = spec.query ? `?${new URLSearchParams(spec.query)}` : ''
  const payload =
    spec.payload === undefined || typeof spec.payload === 'string'
      ? spec.payload
      : JSON.stringify(spec.payload)
  return {
    method: operation.method,
    url: `${path}${query}`,
    headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...spec.headers },
    ...(payload === undefined ? {} : { payload }),
  }
}

function signedFeishu(plain: object): Spec {
  const payload = JSON.stringify({ encrypt: encryptFeishu(JSON.stringify(plain), EK) })
  const timestamp = String(Math.floor(Date.now() / 1000))
  const nonce = `n-${Math.random()}`
  return {
    params: { sourceId: 'feishu' },
    payload,
    headers: {
      'x-lark-request-timestamp': timestamp,
      'x-lark-request-nonce': nonce,
      'x-lark-signature': feishuSignature(timestamp, nonce, EK, Buffer.from(payload)),
    },
  }
}

function signedDingtalk(message: object, signature?: string): Spec {
  const encrypt = encryptDingtalk(JSON.stringify(message), AES, appKey)
  const timestamp = String(Date.now())
  const nonce = `n${Math.floor(Math.random() * 1e9)}`
  return {
    params: { sourceId: 'dingtalk' },
    query: {
      signature: signature ?? dingtalkSignature(TOKEN, timestamp, nonce, encrypt),
      timestamp,
      nonce,
    },
    payload: { encrypt },
  }
}

const auth = bearer(KEY)
const asked = { ...DAY, users: ['feishu:u1'] }
const askedInUrl = { ...DAY, users: 'feishu:u1' }

/** An ordinary call of each operation; the jobs are the main app's (a finished one unless said). */
function ordinary(operationId: string, job = 'no-such-export'): Spec {
  const specs: Record<string, Spec> = {
    getHealth: {},
    getReadiness: {},
    listSources: { headers: auth },
    getResults: { headers: auth, query: askedInUrl },
    queryResults: { headers: auth, payload: asked },
    getPlan: { headers: auth, query: askedInUrl },
    queryPlan: { headers: auth, payload: asked },
    createExport: { headers: auth, payload: { ...asked, format: 'csv' } },
    listExports: { headers: auth },
    getExport: { headers: auth, params: { id: job } },
    deleteExport: { headers: auth, params: { id: job } },
    downloadExportFile: { headers: auth, params: { id: job } },
    getSummaries: { headers: auth, query: { month: '2024-05', users: 'feishu:u1' } },
    querySummaries: { headers: auth, payload: { month: '2024-05', users: ['feishu:u1'] } },
    listPeople: { headers: auth },
    getChanges: { headers: auth, query: { source: 'feishu' } },
    receiveFeishuEvent: {
      params: { sourceId: 'plain' },
      payload: { type: 'url_verification', token: VT, challenge: 'c-1' },
    },
    receiveDingtalkEvent: signedDingtalk({ EventType: 'check_url' }),
  }
  const spec = specs[operationId]
  if (!spec) throw new Error(`no ordinary call of ${operationId}: add one to this table`)
  return spec
}

/** The ordinary call with `change` applied to its spec. */
const varied = (operationId: string, change: (spec: Spec) => Spec, job?: string) =>
  callOf(operationId, change(ordinary(operationId, job)))

const withoutKey = (spec: Spec): Spec => ({ ...spec, headers: {} })

async function inject(app: App, call: Call): Promise<Answer> {
  const response = await app.inject({
    method: call.method as 'GET',
    url: call.url,
    headers: call.headers,
    ...(call.payload === undefined ? {} : { payload: call.payload }),
  })
  return { status: response.statusCode, headers: response.headers, body: response.rawPayload }
}

/** Over a real socket (Node's header limit is in its HTTP parser, which inject skips). */
function overSocket(port: number, call: Call): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      { host: '127.0.0.1', port, method: call.method, path: call.url, headers: call.headers, agent: false },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        )
      },
    )
    sent.on('error', reject)
    sent.end()
  })
}

// --- what was provoked --------------------------------------------------------------------------------

/** `operationId status` pairs that an answer provoked here stood for, as the document checked it. */
const provoked = new Set<string>()

/**
 * The answer has `status`, the document holds it (the hook already did, on the server side), and it is
 * recorded as an answer of `operationId` (`default` for a status the operation does not list).
 */
function hold(t: Test, operationId: string, call: Call, answer: Answer, status: number): void {
  const what = `${operationId}: ${call.method} ${call.url.slice(0, 80)}`
  t.equal(answer.status, status, `${what} → ${answer.body.toString('utf8').slice(0, 200)}`)
  const verdict = contract.check({
    method: call.method,
    path: call.url.split('?')[0] ?? '',
    status: answer.status,
    headers: answer.headers,
    body: call.method === 'HEAD' ? undefined : answer.body,
  })
  if (verdict.kind !== 'validated') {
    t.fail(`${what}: ${verdict.kind === 'mismatch' ? verdict.message : verdict.reason}`)
    return
  }
  const listed = operations.get(operationId)?.statuses.includes(String(status)) ? String(status) : 'default'
  t.ok(verdict.answers.includes(`${operationId} ${listed}`), `${what}: an answer of ${operationId} ${listed}`)
  for (const pair of verdict.answers) provoked.add(pair)
}

async function provoke(t: Test, app: App, operationId: string, call: Call, status: number): Promise<Answer> {
  const answer = await inject(app, call)
  hold(t, operationId, call, answer, status)
  return answer
}

// --- exports in each state ----------------------------------------------------------------------------

/** The job as the main app shows it, or undefined while the store does not answer (polled again). */
async function jobOf(id: string): Promise<ExportJob | undefined> {
  const answer = await inject(main, callOf('getExport', { headers: auth, params: { id } }))
  return answer.status === 200 ? (JSON.parse(answer.body.toString()) as ExportJob) : undefined
}

async function createdJob(t: Test, users: string[]): Promise<string> {
  const call = callOf('createExport', { headers: auth, payload: { ...DAY, users, format: 'csv' } })
  const answer = await provoke(t, main, 'createExport', call, 202)
  return (JSON.parse(answer.body.toString()) as ExportJob).id
}

async function finishedJob(t: Test, users: string[]): Promise<string> {
  const id = await createdJob(t, users)
  await until(async () => (await jobOf(id))?.status === 'succeeded', `export ${id} to succeed`, 60_000)
  return id
}

/** The jobs the tests below ask about, made by the first test. */
const jobs = { finished: '', deletable: '', running: '', expired: '' }

// --- the tests ----------------------------------------------------------------------------------------

t.test('202: the export jobs the tests below ask about', async (t) => {
  // A finished job that read both vendors, one to delete.
  jobs.finished = await finishedJob(t, ['feishu:u1', 'dingtalk:d1'])
  jobs.deletable = await finishedJob(t, ['feishu:u2'])
  // A finished job whose stored file is gone, as Redis drops it when its TTL (EXPORT_TTL_SECONDS) is over.
  jobs.expired = await finishedJob(t, ['feishu:u3'])
  await main.exports.files.delete(jobs.expired)
})

t.test('the ordinary answer of each operation (200, 202, 204)', async (t) => {
  const ordinaryStatus: Record<string, number> = { createExport: 202, deleteExport: 204 }
  for (const operationId of operations.keys()) {
    const job = operationId === 'deleteExport' ? jobs.deletable : jobs.finished
    const call = callOf(operationId, ordinary(operationId, job))
    await provoke(t, main, operationId, call, ordinaryStatus[operationId] ?? 200)
  }
})

t.test(
  'an export in each state: 409 while it runs, 202 when cancelled, 410 gone, 403 narrowed',
  async (t) => {
    // Its one vendor call takes two minutes: it runs while it is asked about, whatever the machine's load.
    jobs.running = await createdJob(t, ['slow:u1'])
    const early = await provoke(
      t,
      main,
      'downloadExportFile',
      varied('downloadExportFile', (s) => s, jobs.running),
      409,
    )
    t.match(JSON.parse(early.body.toString()), { code: 'ATT_EXPORT_NOT_READY' })
    const cancelled = await provoke(
      t,
      main,
      'deleteExport',
      varied('deleteExport', (s) => s, jobs.running),
      202,
    )
    t.equal(JSON.parse(cancelled.body.toString()).status, 'cancelled')
    const gone = await provoke(
      t,
      main,
      'downloadExportFile',
      varied('downloadExportFile', (s) => s, jobs.expired),
      410,
    )
    t.match(JSON.parse(gone.body.toString()), { code: 'ATT_EXPORT_EXPIRED' })
    // The job read DingTalk, which the payroll key may no longer read on the narrowed replica.
    const refused = await provoke(
      t,
      narrowed,
      'downloadExportFile',
      varied('downloadExportFile', (s) => s, jobs.finished),
      403,
    )
    t.match(JSON.parse(refused.body.toString()), { code: 'ATT_FORBIDDEN_SOURCE' })
  },
)

/** A call, to the app of the test unless it names another. */
type Provocation = () => Call | { app: App; call: Call }

/** For each operation that documents `status`, the call that provokes it; a missing one fails. */
async function everyOperation(
  t: Test,
  status: number,
  app: App,
  provocations: Record<string, Provocation>,
): Promise<void> {
  for (const operationId of documenting(String(status))) {
    const provocation = provocations[operationId]
    if (!provocation) {
      t.fail(`${operationId} documents ${status}: give this test a way to provoke it`)
      continue
    }
    const made = provocation()
    const [target, call] = 'call' in made ? [made.app, made.call] : [app, made]
    await provoke(t, target, operationId, call, status)
  }
}

/** The same change of the ordinary call for each of `operationIds`. */
function each(operationIds: string[], change: (spec: Spec, operationId: string) => Spec) {
  return Object.fromEntries(
    operationIds.map((operationId) => [
      operationId,
      () => callOf(operationId, change(ordinary(operationId, jobs.finished), operationId)),
    ]),
  )
}

const API_OPERATIONS = [...operations.keys()].filter((id) => !id.startsWith('receive'))
const EVENT_OPERATIONS = [...operations.keys()].filter((id) => id.startsWith('receive'))

t.test('400: a malformed request', async (t) => {
  const badId = { id: 'x'.repeat(65) }
  const badDate = (spec: Spec) =>
    spec.payload ? { ...spec, payload: { ...(spec.payload as object), from: '2024-13-01' } } : spec
  await everyOperation(t, 400, main, {
    ...each(['queryResults', 'queryPlan', 'createExport'], badDate),
    ...each(['getResults', 'getPlan'], (spec) => ({ ...spec, query: { ...spec.query, from: '2024-13-01' } })),
    ...each(['getExport', 'deleteExport', 'downloadExportFile'], (spec) => ({ ...spec, params: badId })),
    ...each(['getSummaries'], (spec) => ({ ...spec, query: { ...spec.query, month: '2024-13' } })),
    ...each(['querySummaries'], (spec) => ({ ...spec, payload: { month: '2024-13', users: ['feishu:u1'] } })),
    ...each(['getChanges'], (spec) => ({ ...spec, query: { source: 'feishu', limit: '2.5' } })),
    ...each(EVENT_OPERATIONS, (spec) => ({ ...spec, payload: 'not json' })),
  })
})

t.test('401: no API key; for the webhooks, not from the vendor', async (t) => {
  await everyOperation(t, 401, main, {
    ...each(API_OPERATIONS, withoutKey),
    receiveFeishuEvent: () =>
      callOf('receiveFeishuEvent', {
        params: { sourceId: 'plain' },
        payload: { type: 'url_verification', token: 'forged', challenge: 'c' },
      }),
    receiveDingtalkEvent: () =>
      callOf('receiveDingtalkEvent', signedDingtalk({ EventType: 'check_url' }, '0'.repeat(40))),
  })
})

t.test('403: a key that may not read the source asked for', async (t) => {
  const dingtalk = (spec: Spec): Spec => {
    const headers = bearer(FEISHU_ONLY)
    if (spec.query?.source) return { ...spec, headers, query: { source: 'dingtalk' } }
    if (spec.query) return { ...spec, headers, query: { ...spec.query, users: 'dingtalk:d1' } }
    return { ...spec, headers, payload: { ...(spec.payload as object), users: ['dingtalk:d1'] } }
  }
  const asking = documenting('403').filter((id) => id !== 'downloadExportFile')
  await everyOperation(t, 403, main, {
    ...each(asking, dingtalk),
    // On the narrowed replica: the payroll key no longer reads a source the job read.
    downloadExportFile: () => ({
      app: narrowed,
      call: varied('downloadExportFile', (s) => s, jobs.finished),
    }),
  })
})

t.test('404: no such export for this key; a source without webhooks', async (t) => {
  await everyOperation(t, 404, main, {
    ...each(['getExport', 'deleteExport', 'downloadExportFile'], (spec) => ({
      ...spec,
      params: { id: 'none' },
    })),
    ...each(EVENT_OPERATIONS, (spec) => ({ ...spec, params: { sourceId: 'broken' } })),
  })
})

t.test(
  '405: a method the path does not take, with Allow (an answer of each operation of the path)',
  async (t) => {
    for (const [path, item] of Object.entries(document.paths)) {
      const [first] = Object.values(item)
      const call = callOf(first?.operationId ?? '', { params: { id: jobs.finished, sourceId: 'feishu' } })
      const answer = await provoke(t, main, first?.operationId ?? '', { ...call, method: 'PATCH' }, 405)
      const taken = Object.keys(item).map((method) => method.toUpperCase())
      for (const method of taken) t.match(answer.headers.allow, method, `${path}: Allow names ${method}`)
    }
  },
)

t.test('406: no media type of Accept is served', async (t) => {
  await everyOperation(t, 406, main, {
    ...each(documenting('406'), (spec) => ({ ...spec, headers: { ...spec.headers, accept: 'text/html' } })),
  })
})

t.test('409: a file not written yet; a webhook request seen before', async (t) => {
  const replayed = (operationId: string, spec: Spec) => {
    const call = callOf(operationId, spec)
    return async () => {
      await provoke(t, main, operationId, call, 200)
      return call
    }
  }
  const feishu = replayed(
    'receiveFeishuEvent',
    signedFeishu({ type: 'url_verification', token: VT, challenge: 'c' }),
  )
  const dingtalk = replayed('receiveDingtalkEvent', signedDingtalk({ EventType: 'check_url' }))
  const firstSent = { feishu: await feishu(), dingtalk: await dingtalk() }
  await everyOperation(t, 409, main, {
    // The job cancelled above ended without a file.
    downloadExportFile: () => varied('downloadExportFile', (s) => s, jobs.running),
    receiveFeishuEvent: () => firstSent.feishu,
    receiveDingtalkEvent: () => firstSent.dingtalk,
  })
})

t.test('410: a file gone; a cursor older than the change feed keeps', async (t) => {
  await everyOperation(t, 410, main, {
    downloadExportFile: () => varied('downloadExportFile', (s) => s, jobs.expired),
    getChanges: () =>
      varied('getChanges', (spec) => ({ ...spec, query: { source: 'feishu', since: '1-0' } })),
  })
})

t.test('413 and 415: a body too large; a body that is not JSON', async (t) => {
  const withBody = (payload: string, type: string) => (spec: Spec) => ({
    ...spec,
    payload,
    headers: { ...spec.headers, 'content-type': type },
  })
  await everyOperation(t, 413, main, each(documenting('413'), withBody(TOO_BIG, 'application/json')))
  await everyOperation(t, 415, main, {
    ...each(API_OPERATIONS, withBody('from=2024-05-06', 'text/plain')),
    // The webhooks read text/plain too (a vendor's proxy may send it): XML is what they refuse.
    ...each(EVENT_OPERATIONS, withBody('<event/>', 'application/xml')),
  })
})

t.test('422: an Idempotency-Key used again with another body', async (t) => {
  const key = { 'idempotency-key': `statuses-${Date.now()}` }
  const first = varied('createExport', (spec) => ({ ...spec, headers: { ...spec.headers, ...key } }))
  await provoke(t, main, 'createExport', first, 202)
  await everyOperation(t, 422, main, {
    createExport: () =>
      varied('createExport', (spec) => ({
        ...spec,
        headers: { ...spec.headers, ...key },
        payload: { ...(spec.payload as object), format: 'json' },
      })),
  })
})

t.test('429: past the rate limit of the key; past the refused webhook requests of the address', async (t) => {
  const { app: limited } = await startReplica(t, sources, {
    config: { apiKeys: [apiKey('payroll', KEY, { rateLimitPerMinute: 1 })], eventsFailuresPerMinute: 1 },
  })
  const forged: Record<string, Spec> = {
    receiveFeishuEvent: {
      params: { sourceId: 'plain' },
      payload: { type: 'url_verification', token: 'forged' },
    },
    receiveDingtalkEvent: signedDingtalk({ EventType: 'check_url' }, '0'.repeat(40)),
  }
  for (const operationId of documenting('429')) {
    const call = callOf(operationId, forged[operationId] ?? ordinary(operationId, 'none'))
    // The first calls may be let through (the limit may count per route): the limit is one a minute.
    let answer = await inject(limited, call)
    for (let attempt = 0; attempt < 2 && answer.status !== 429; attempt++)
      answer = await inject(limited, call)
    hold(t, operationId, call, answer, 429)
  }
})

t.test('431: a request line and headers past the limit, over a real socket', async (t) => {
  await main.listen({ host: '127.0.0.1', port: 0 })
  const { port } = main.server.address() as { port: number }
  const padding = { 'x-padding': 'a'.repeat(20_000) }
  for (const operationId of documenting('431')) {
    const call = varied(operationId, (spec) => ({ ...spec, headers: { ...spec.headers, ...padding } }))
    const { payload: _unsent, ...headersOnly } = call
    hold(t, operationId, headersOnly, await overSocket(port, headersOnly), 431)
  }
})

t.test('502: strict=true and a source that fails', async (t) => {
  await everyOperation(t, 502, main, {
    ...each(documenting('502'), (spec) =>
      spec.query
        ? { ...spec, query: { ...spec.query, users: 'broken:d1', strict: 'true' } }
        : { ...spec, payload: { ...(spec.payload as object), users: ['broken:d1'], strict: true } },
    ),
  })
})

t.test('503: a replica that sheds load (and its readiness)', async (t) => {
  const { pressure } = testConfig()
  // A heap bound no process stays under: the first memory sample puts the replica under pressure.
  const { app: shedding } = await buildTestApp(t, {
    apiKeys: keys,
    pressure: { ...pressure, maxHeapUsedBytes: 1 },
  })
  await until(() => shedding.isUnderPressure(), 'the first memory sample')
  await everyOperation(
    t,
    503,
    shedding,
    each(documenting('503'), (spec) => spec),
  )
})

// No honest request makes a route fail unexpectedly: a hook of this app throws on a request that asks for
// it, before the route's own code, and the error handler answers as it does for any unexpected failure.
t.test('default: a route that fails unexpectedly answers 500 ATT_INTERNAL', async (t) => {
  const { app: failing } = await buildTestApp(
    t,
    { apiKeys: keys },
    {
      beforeReady: (app) =>
        app.addHook('onRequest', async (request) => {
          if (request.headers[FAULT]) throw new Error('an unexpected failure, provoked by the test')
        }),
    },
  )
  for (const operationId of documenting('default')) {
    const call = varied(operationId, (spec) => ({ ...spec, headers: { ...spec.headers, [FAULT]: '1' } }))
    const answer = await provoke(t, failing, operationId, call, 500)
    t.match(JSON.parse(answer.body.toString()), { code: 'ATT_INTERNAL' })
  }
})

t.test('every (operation, status) of the document was provoked above, and held against it', async (t) => {
  t.same([...provoked].sort(), contract.documentedAnswers().sort())
})
