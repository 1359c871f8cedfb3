// A client that goes away in the middle of a long query: the vendor calls only it needed stop, seen from
// the vendors' side (their counters stop growing), over a real HTTP connection that the client drops.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'
import { until } from './helpers.js'

// 150 Feishu users over eight weeks: 6 calls, one at a time. 20 DingTalk users over eight weeks: eight
// blocks of four pages, three at a time. At 200 ms a call, both take a couple of seconds.
const payload = {
  from: '2024-05-06',
  to: '2024-06-30',
  users: [...userList('feishu', 150), ...userList('dingtalk', 20)],
}
const FULL = { feishu: 6, dingtalk: 32 }

async function setUp(t: Test) {
  const simulators = await startSimulators(t, {
    feishu: { latencyMs: 200, rateLimitPerSecond: 10_000 },
    dingtalk: { latencyMs: 200, rateLimitPerSecond: 10_000 },
  })
  const sources = sourcesFor(simulators, {
    feishu: { maxConcurrency: 1, rateLimitPerSecond: 500 },
    dingtalk: { maxConcurrency: 3, rateLimitPerSecond: 500 },
  })
  const { app, logs } = await startReplica(t, sources)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { simulators, app, logs, port: (app.server.address() as AddressInfo).port }
}

/** POSTs the query over a real connection; `drop()` destroys the connection, as a client that gives up. */
function post(port: number, path: string) {
  const request = http.request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
  })
  const outcome = new Promise<string>((resolve, reject) => {
    request.on('response', (response) => {
      let text = ''
      response.on('data', (chunk) => {
        text += chunk
      })
      response.on('end', () => resolve(text))
      response.on('error', reject)
      response.on('aborted', () => reject(new Error('aborted')))
    })
    request.on('error', reject)
  })
  outcome.catch(() => {})
  request.end(JSON.stringify(payload))
  return { outcome, drop: () => request.destroy() }
}

for (const variant of [
  { name: 'a streamed answer', path: '/attendance/results' },
  { name: 'a strict (not streamed) answer', path: '/attendance/results?strict=true' },
]) {
  t.test(`the client drops the connection during ${variant.name}: the vendor calls stop`, async (t) => {
    const { simulators, port, logs } = await setUp(t)
    const { feishu, dingtalk } = simulators
    const client = post(port, variant.path)
    await until(
      () => feishu.counters().dataCalls >= 1 && dingtalk.counters().dataCalls >= 4,
      'the query to be under way',
    )
    client.drop()
    // Calls already at the vendors end, and no new one starts: the counters stop. Waiting for them to stand
    // still (rather than a fixed time) keeps this true on a loaded machine, where the event loop can stall.
    const count = () => ({ feishu: feishu.counters().dataCalls, dingtalk: dingtalk.counters().dataCalls })
    let settled = count()
    let stillSince = Date.now()
    await until(() => {
      const now = count()
      if (now.feishu !== settled.feishu || now.dingtalk !== settled.dingtalk) {
        settled = now
        stillSince = Date.now()
      }
      return Date.now() - stillSince >= 1500
    }, 'the vendor calls to stop')
    t.ok(settled.feishu <= FULL.feishu / 2, `Feishu: ${settled.feishu} of ${FULL.feishu} calls made`)
    t.ok(settled.dingtalk < FULL.dingtalk / 2, `DingTalk: ${settled.dingtalk} of ${FULL.dingtalk} calls made`)
    t.ok(
      logs.records().every((record) => (record.level as number) < 50),
      'nothing was logged as an error: a client leaving is not a failure',
    )
  })
}

t.test(
  'a client that stays gets the whole answer over the same path (the test above is not vacuous)',
  async (t) => {
    const { simulators, port } = await setUp(t)
    const answer = JSON.parse(await post(port, '/attendance/results').outcome) as AttendanceResponse
    t.equal(answer.complete, true)
    t.equal(answer.results.length, 170 * 40)
    t.same(
      { feishu: simulators.feishu.counters().dataCalls, dingtalk: simulators.dingtalk.counters().dataCalls },
      FULL,
    )
  },
)
