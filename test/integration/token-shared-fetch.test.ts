// Two clients at cold start share one token fetch, and the first one leaves while it runs: the one that
// stays gets its whole answer, and the app fetched one token. Over real HTTP, against the simulators, on
// real Redis.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'

const query =
  '/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1,feishu:u2,dingtalk:d1,dingtalk:d2'
// Long enough that the second client is waiting for the same tokens when the first one leaves.
const LATENCY_MS = 1500

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(condition: () => boolean, what: string) {
  const deadline = Date.now() + 15_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** GETs `path` over a connection of its own; `drop()` destroys it, as a client that gives up. */
function get(port: number, path: string) {
  const request = http.get({ host: '127.0.0.1', port, path, agent: false })
  const body = new Promise<string>((resolve, reject) => {
    request.on('response', (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
      })
      response.on('end', () => resolve(text))
      response.on('aborted', () => reject(new Error('aborted')))
    })
    request.on('error', reject)
  })
  body.catch(() => {})
  return { body, drop: () => request.destroy() }
}

t.test('a client that leaves during the shared token fetch does not fail the one that stays', async (t) => {
  // faultsOnTokenCalls applies the latency to token calls too.
  const simulators = await startSimulators(t, {
    feishu: { latencyMs: LATENCY_MS, faultsOnTokenCalls: true },
    dingtalk: { latencyMs: LATENCY_MS, faultsOnTokenCalls: true },
  })
  const { feishu, dingtalk } = simulators
  const { app, logs } = await startReplica(t, sourcesFor(simulators))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  let received = 0
  app.server.on('request', () => {
    received++
  })

  const leaving = get(port, query)
  await until(
    () => feishu.counters().tokenCalls === 1 && dingtalk.counters().tokenCalls === 1,
    'the first query to ask for the tokens',
  )
  const staying = get(port, query)
  await until(() => received === 2, 'the second query to arrive')
  t.same(
    [feishu.counters().dataCalls, dingtalk.counters().dataCalls],
    [0, 0],
    'no query has a token yet when the first client leaves',
  )
  leaving.drop()

  const answer = JSON.parse(await staying.body) as AttendanceResponse
  t.same(
    [feishu.counters().tokenCalls, dingtalk.counters().tokenCalls],
    [1, 1],
    'one token per app, fetched for both queries',
  )
  t.ok(
    logs.records().every((record) => (record.level as number) < 50),
    'nothing was logged as an error',
  )

  // The known-good answer: the same query from a replica of its own, with nobody leaving.
  feishu.configure({ latencyMs: 0 })
  dingtalk.configure({ latencyMs: 0 })
  const reference = await startReplica(t, sourcesFor(simulators))
  const expected = (await reference.app.inject(query)).json<AttendanceResponse>()
  t.equal(expected.complete, true)
  t.equal(expected.results.length, 20, '4 users × 5 work days')
  t.equal(answer.complete, true)
  // Apart from fetchedAt: the two fetches may fall in different seconds.
  const unstamped = (body: AttendanceResponse) => ({
    ...body,
    results: body.results.map(({ fetchedAt: _fetchedAt, ...day }) => day),
  })
  t.same(
    unstamped(answer),
    unstamped(expected),
    'the staying client’s answer is the known-good one, day for day',
  )
})
