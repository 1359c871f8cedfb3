// Every request of the CLI that the service refuses with 429 (ATT_RATE_LIMITED: other clients share the
// key's rate) or 503 (ATT_OVERLOADED, ATT_STORE_UNAVAILABLE) waits the Retry-After it got, capped, and is
// sent again, a bounded number of times; then the command gives up with exit 75 (EX_TEMPFAIL). The waits
// go through an injected sleep, so no test waits or measures time. Against the scripted service.
import { join } from 'node:path'
import t from 'tap'
import {
  ApiClient,
  ApiError,
  MAX_ATTEMPTS,
  MAX_RETRY_WAIT_MS,
  NO_RETRY_AFTER_WAIT_MS,
} from '../../src/cli/api-client.js'
import { EXIT } from '../../src/cli/exit-codes.js'
import { type ErrorAnswer, JOB_ID, startFakeService } from './fake-service.js'
import { runCli } from './run-cli.js'

const FIELDS = { from: '2024-05-01', to: '2024-05-02', users: ['feishu:u1'], format: 'csv' as const }
const throttled = (retryAfter?: number): ErrorAnswer => ({
  statusCode: 429,
  code: 'ATT_RATE_LIMITED',
  message: 'rate limit exceeded, retry in 1 minute',
  ...(retryAfter === undefined ? {} : { retryAfter }),
})
const overloaded = (retryAfter?: number): ErrorAnswer => ({
  statusCode: 503,
  code: 'ATT_OVERLOADED',
  message: 'the service is overloaded',
  ...(retryAfter === undefined ? {} : { retryAfter }),
})

/** A client whose waits are recorded instead of slept, and whose retry lines are kept. */
function recordingClient(url: string) {
  const waits: number[] = []
  const lines: string[] = []
  const client = new ApiClient({
    url,
    apiKey: 'k-0123456789',
    sleep: async (ms) => {
      waits.push(ms)
    },
    onRetry: (line) => lines.push(line),
  })
  return { client, waits, lines }
}

t.test('429 then 503 with Retry-After, then 202: the same request again after each wait', async (t) => {
  const service = await startFakeService(t, { refusals: [throttled(3), overloaded(2)], polls: [{}] })
  const { client, waits, lines } = recordingClient(service.url)
  const job = await client.submitExport(FIELDS, 'idem-1')
  t.equal(job.id, JOB_ID)
  t.same(waits, [3000, 2000], 'each wait is the Retry-After it got')
  t.equal(service.requests.length, 3)
  for (const request of service.requests) {
    t.same([request.method, request.url], ['POST', '/attendance/exports'])
    t.same(request.body, FIELDS, 'the same body')
    t.equal(request.headers['idempotency-key'], 'idem-1', 'and the same idempotency key')
  }
  t.same(lines, [
    `ATT_RATE_LIMITED: rate limit exceeded, retry in 1 minute; trying again in 3 s (attempt 2 of ${MAX_ATTEMPTS})`,
    `ATT_OVERLOADED: the service is overloaded; trying again in 2 s (attempt 3 of ${MAX_ATTEMPTS})`,
  ])
})

t.test('every kind of request is retried: a poll, a download, a cancel', async (t) => {
  const script = { refusals: [] as ErrorAnswer[], polls: [{ status: 'succeeded' as const }] }
  const service = await startFakeService(t, script)
  const { client, waits } = recordingClient(service.url)
  script.refusals.push(throttled(1))
  t.equal((await client.getExport(JOB_ID)).status, 'succeeded')
  script.refusals.push(overloaded(2))
  const body = await client.downloadExport(JOB_ID)
  t.same(Buffer.from(await new Response(body).arrayBuffer()), service.file)
  script.refusals.push(throttled(3))
  await client.cancelExport(JOB_ID)
  t.same(waits, [1000, 2000, 3000])
  t.same(
    service.requests.map((request) => request.method),
    ['GET', 'GET', 'GET', 'GET', 'DELETE', 'DELETE'],
    'each one refused once, then answered',
  )
})

t.test('a Retry-After above the cap waits the cap; none at all waits the default', async (t) => {
  const service = await startFakeService(t, { refusals: [throttled(3600), overloaded()], polls: [{}] })
  const { client, waits } = recordingClient(service.url)
  await client.getExport(JOB_ID)
  t.same(waits, [MAX_RETRY_WAIT_MS, NO_RETRY_AFTER_WAIT_MS])
  t.equal(MAX_RETRY_WAIT_MS, 60_000, 'the cap the README documents')
  t.equal(NO_RETRY_AFTER_WAIT_MS, 1000)
})

t.test(`still refused after ${MAX_ATTEMPTS} attempts: gives up with exit 75`, async (t) => {
  t.equal(MAX_ATTEMPTS, 5, 'the bound the README documents')
  const service = await startFakeService(t, {
    refusals: Array.from({ length: MAX_ATTEMPTS + 1 }, () => throttled(2)),
    polls: [{}],
  })
  const { client, waits } = recordingClient(service.url)
  const error = (await client.submitExport(FIELDS).catch((caught: unknown) => caught)) as ApiError
  t.type(error, ApiError)
  t.equal(error.exitCode, EXIT.busy)
  t.equal(EXIT.busy, 75, "sysexits' EX_TEMPFAIL")
  t.equal(error.status, 429)
  t.equal(error.code, 'ATT_RATE_LIMITED')
  t.equal(
    error.message,
    `ATT_RATE_LIMITED: rate limit exceeded, retry in 1 minute (still refused after ${MAX_ATTEMPTS} attempts)`,
  )
  t.equal(service.requests.length, MAX_ATTEMPTS, 'no request after the last attempt')
  t.same(waits, [2000, 2000, 2000, 2000], 'a wait between attempts, none after the last')
})

t.test('refusals that waiting does not cure are not retried', async (t) => {
  for (const refusal of [
    { statusCode: 400, code: 'FST_ERR_VALIDATION', message: 'bad', retryAfter: 1 },
    { statusCode: 401, code: 'ATT_UNAUTHORIZED', message: 'no key' },
    { statusCode: 500, code: 'ATT_INTERNAL', message: 'bug', retryAfter: 1 },
  ]) {
    const service = await startFakeService(t, { refusals: [refusal], polls: [{}] })
    const { client, waits } = recordingClient(service.url)
    const error = (await client.getExport(JOB_ID).catch((caught: unknown) => caught)) as ApiError
    t.equal(error.status, refusal.statusCode)
    t.equal(error.exitCode, EXIT.http)
    t.equal(service.requests.length, 1, `${refusal.statusCode}: asked once`)
    t.same(waits, [])
  }
})

t.test('a wait is cut short by the caller signal (Ctrl-C), and nothing more is sent', async (t) => {
  const service = await startFakeService(t, { refusals: [throttled(30)], polls: [{}] })
  const controller = new AbortController()
  const client = new ApiClient({
    url: service.url,
    sleep: async (_ms, signal) => {
      controller.abort(new Error('interrupted'))
      signal?.throwIfAborted()
    },
    onRetry: () => {},
  })
  await t.rejects(client.getExport(JOB_ID, controller.signal), { message: 'interrupted' })
  t.equal(service.requests.length, 1)
})

t.test('the command: succeeds after 429s, and exits 75 when the service keeps refusing', async (t) => {
  const dir = t.testdir({})
  const args = (url: string, out: string) =>
    ['export', '--url', url, '--from', '2024-05-01', '--to', '2024-05-02', '--users', 'feishu:u1'].concat([
      '--out',
      join(dir, out),
      '--poll-interval',
      '100',
    ])
  const patient = await startFakeService(t, {
    refusals: [throttled(0), overloaded(0)],
    polls: [{ status: 'succeeded', complete: true }],
  })
  const ok = await runCli(args(patient.url, 'patient.csv'))
  t.equal(ok.code, 0, ok.stderr)
  t.match(
    ok.stderr,
    /^ATT_RATE_LIMITED: rate limit exceeded, retry in 1 minute; trying again in 0 s \(attempt 2 of 5\)$/m,
  )
  t.match(ok.stderr, `export ${JOB_ID} submitted`)
  t.equal(patient.requests.filter((request) => request.method === 'POST').length, 3)

  const refusing = await startFakeService(t, {
    refusals: Array.from({ length: MAX_ATTEMPTS }, () => throttled(0)),
    polls: [{}],
  })
  const gaveUp = await runCli(args(refusing.url, 'refused.csv'))
  t.equal(gaveUp.code, 75, gaveUp.stderr)
  t.match(
    gaveUp.stderr,
    /ATT_RATE_LIMITED: rate limit exceeded, retry in 1 minute \(still refused after 5 attempts\)/,
  )
  t.equal(refusing.requests.length, MAX_ATTEMPTS)
})
