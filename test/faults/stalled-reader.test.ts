// A client that asks for a large answer and then stops reading, over a real connection (its socket
// paused, never closed). Backpressure makes the query wait for it; the wait must end: after
// STREAM_STALL_MS without a byte taken, at the query deadline (QUERY_TIMEOUT_MS) whichever comes first,
// and at once on shutdown. Each time the server closes the connection and the query gives its place at
// the source's gate back, so that the next query runs. Before, the paused reader held its place for ever,
// past its deadline too, and app.close() waited for it.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import t from 'tap'
import type { Config } from '../../src/config/config.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'
import { sleep, until } from './helpers.js'

/**
 * 3,000 Feishu users × 31 days: about 70 MB of NDJSON, more than the loopback socket buffers of this
 * machine take in (up to 32 MiB received, 4 MiB sent), so the service itself ends up waiting for the client.
 */
const USERS = userList('feishu', 3000)
const QUERY = { from: '2024-05-01', to: '2024-05-31', users: USERS, format: 'ndjson' }
const SUMMARY_LINE = '{"type":"summary"'

async function setUp(t: Test, config: Partial<Config>) {
  const simulators = await startSimulators(t, { feishu: { rateLimitPerSecond: 100_000 } })
  // One query of the source at a time: the next one runs only once the paused reader's place is free.
  const sources = sourcesFor(simulators, {
    feishu: { rateLimitPerSecond: 10_000, maxConcurrentQueries: 1 },
  }).filter((source) => source.id === 'feishu')
  // Not a test of load shedding: a busy machine must not answer 503 for the service.
  const pressure = { maxEventLoopDelayMs: 0, maxHeapUsedBytes: 0, retryAfterSeconds: 10 }
  const { app, logs } = await startReplica(t, sources, { config: { pressure, ...config } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  const running = async () => {
    const body = (await (await app.inject('/sources')).json()) as {
      sources: { id: string; load: { running: number; queued: number } }[]
    }
    return body.sources.find((source) => source.id === 'feishu')?.load.running
  }
  return { simulators, app, logs, port, running }
}

interface PausedReader {
  /** Reads what is left and resolves once the server has closed the connection. */
  readRest(): Promise<{ tail: string; complete: boolean }>
  drop(): void
}

/** POSTs the query and pauses the response as soon as its head arrives. */
function pausedReader(t: Test, port: number): Promise<PausedReader> {
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/attendance/results',
      headers: { 'content-type': 'application/json' },
    })
    t.teardown(() => request.destroy())
    request.on('error', () => {}) // the server cutting the connection is what is tested
    request.on('response', (response) => {
      if (response.statusCode !== 200) reject(new Error(`status ${response.statusCode}`))
      response.pause()
      resolve({
        drop: () => request.destroy(),
        readRest: () =>
          new Promise((done) => {
            let tail = ''
            response.on('data', (chunk: Buffer) => {
              tail = (tail + chunk.toString()).slice(-4096)
            })
            response.on('error', () => {})
            response.on('close', () => done({ tail, complete: response.complete }))
            response.resume()
          }),
      })
    })
    request.end(JSON.stringify(QUERY))
  })
}

/** Until the vendor calls stop growing for a second: the service waits for its client. */
async function untilStalled(counter: () => number) {
  let calls = -1
  for (let quiet = 0; quiet < 10; ) {
    await sleep(100)
    quiet = counter() === calls ? quiet + 1 : 0
    calls = counter()
  }
  return calls
}

function endedBecause(logs: { records(): Record<string, unknown>[] }, reason: string) {
  return logs
    .records()
    .some((record) => record.msg?.toString().startsWith('answer ended') && record.reason === reason)
}

t.test('STREAM_STALL_MS without a byte taken: the answer ends and the next query runs', async (t) => {
  const { simulators, logs, port, running } = await setUp(t, { streamStallMs: 500, queryTimeoutMs: 600_000 })
  const reader = await pausedReader(t, port)
  t.equal(await running(), 1, 'the paused reader holds the one place of its source')
  await until(async () => (await running()) === 0, 'the paused reader to give its place back', 60_000)
  t.ok(
    simulators.feishu.counters().dataCalls < 120,
    `${simulators.feishu.counters().dataCalls} of 120 calls made`,
  )
  t.ok(endedBecause(logs, 'stalled'), 'the log says why the answer was ended')

  const next = await fetch(`http://127.0.0.1:${port}/attendance/results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: '2024-05-06', to: '2024-05-10', users: ['feishu:u0001'] }),
    signal: AbortSignal.timeout(30_000),
  })
  t.equal(next.status, 200)
  t.equal(((await next.json()) as { complete: boolean }).complete, true, 'the next query got its answer')

  const rest = await reader.readRest()
  t.equal(rest.complete, false, 'the server closed the paused connection before the answer was whole')
  t.notOk(rest.tail.includes(SUMMARY_LINE), 'the cut answer has no summary line (NDJSON: cut short)')
})

t.test('QUERY_TIMEOUT_MS bounds the answer, time waiting for the client included', async (t) => {
  const queryTimeoutMs = 10_000
  const stallMs = 120_000
  const { simulators, logs, port, running } = await setUp(t, { streamStallMs: stallMs, queryTimeoutMs })
  const asked = Date.now()
  const reader = await pausedReader(t, port)
  await untilStalled(() => simulators.feishu.counters().dataCalls)
  const stalledAt = Date.now()
  t.ok(stalledAt - asked < queryTimeoutMs, 'the service waited for its client before the deadline')
  t.equal(await running(), 1, 'and held its place meanwhile')
  // Well before STREAM_STALL_MS: only the deadline can have ended it.
  await until(async () => (await running()) === 0, 'the deadline to end the answer', stallMs / 2)
  t.ok(Date.now() - asked >= queryTimeoutMs, 'not before the deadline')
  t.ok(endedBecause(logs, 'deadline'), 'the log says the deadline ended it')
  const rest = await reader.readRest()
  t.equal(rest.complete, false, 'the server closed the paused connection')
})

t.test('app.close() with a paused reader ends its answer at once instead of waiting', async (t) => {
  const { simulators, app, logs, port, running } = await setUp(t, {
    streamStallMs: 120_000,
    queryTimeoutMs: 120_000,
  })
  const reader = await pausedReader(t, port)
  await untilStalled(() => simulators.feishu.counters().dataCalls)
  t.equal(await running(), 1)
  // Far below both the stall and the query deadline: a bound on which of them ended it, not a speed.
  const bound = new Promise<'still open'>((resolve) => setTimeout(resolve, 30_000, 'still open').unref())
  const outcome = await Promise.race([app.close().then(() => 'closed' as const), bound])
  if (outcome !== 'closed') reader.drop() // let the teardown's close finish
  t.equal(outcome, 'closed', 'app.close() returned long before STREAM_STALL_MS or QUERY_TIMEOUT_MS')
  t.ok(endedBecause(logs, 'shutdown'), 'the log says the shutdown ended it')
  const rest = await reader.readRest()
  t.equal(rest.complete, false, 'the paused connection was closed by the server')
})
