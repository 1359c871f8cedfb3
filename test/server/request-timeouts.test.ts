// The phases of a request are bounded (headers, the whole request, an idle keep-alive connection), and
// none of those bounds reaches the answer: Node's request timeout covers receiving the request only, so a
// streamed answer that takes many times longer than it is sent whole. Over real connections to an app
// listening on loopback.

import type { AddressInfo } from 'node:net'
import net from 'node:net'
import type { Test } from 'tap'
import t from 'tap'
import type { Config } from '../../src/config/config.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'

const SHORT = { headersTimeoutMs: 1000, requestTimeoutMs: 1000, keepAliveTimeoutMs: 1000, idleTimeoutMs: 0 }

async function listening(t: Test, config: Partial<Config>) {
  const simulators = await startSimulators(t, {
    feishu: { latencyMs: 300, rateLimitPerSecond: 10_000 },
    dingtalk: { latencyMs: 300, rateLimitPerSecond: 10_000 },
  })
  const sources = sourcesFor(simulators, { dingtalk: { maxConcurrency: 2, rateLimitPerSecond: 500 } })
  const { app } = await startReplica(t, sources, {
    config: {
      connections: { ...SHORT, maxConnections: 100 },
      // Not a test of load shedding: a busy machine must not answer 503 for the service.
      pressure: { maxEventLoopDelayMs: 0, maxHeapUsedBytes: 0, retryAfterSeconds: 10 },
      ...config,
    },
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: (app.server.address() as AddressInfo).port }
}

/** Writes `request` on a raw connection and resolves with all the server sent once it closes. */
function exchange(port: number, request: string) {
  return new Promise<{ text: string; closedAfterMs: number }>((resolve) => {
    const started = Date.now()
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.write(request)
    })
    let text = ''
    socket.on('data', (chunk) => {
      text += chunk.toString()
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve({ text, closedAfterMs: Date.now() - started }))
  })
}

t.test('an answer streamed for longer than the request timeout is sent whole', async (t) => {
  const { port } = await listening(t, { authDisabled: true })
  // 20 DingTalk users over eight weeks: 8 blocks of 4 pages, 2 at a time, 300 ms a page: seconds.
  const users = userList('dingtalk', 20)
  const started = Date.now()
  const response = await fetch(`http://127.0.0.1:${port}/attendance/results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: '2024-05-06', to: '2024-06-30', users }),
  })
  const body = (await response.json()) as AttendanceResponse
  const tookMs = Date.now() - started
  t.equal(response.status, 200)
  t.ok(tookMs > 2 * SHORT.requestTimeoutMs, `the answer took ${tookMs} ms, past the request timeout`)
  t.equal(body.complete, true, 'and it is whole')
  t.equal(body.results.length, 20 * 40, '20 users × 40 work days')
})

t.test(
  'slow headers get a 408 in the service error shape; an idle keep-alive connection is closed',
  async (t) => {
    const { port } = await listening(t, { authDisabled: true })
    const slow = await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n')
    t.match(slow.text, /^HTTP\/1\.1 408 Request Timeout\r\n/)
    t.match(slow.text, /"code":"ATT_BAD_HTTP_REQUEST"/)
    t.ok(slow.closedAfterMs < 10_000, `closed after ${slow.closedAfterMs} ms`)

    const idle = await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    t.match(idle.text, /^HTTP\/1\.1 200 OK\r\n/)
    t.match(idle.text, /keep-alive/i)
    t.ok(
      idle.closedAfterMs < 10_000,
      `the idle keep-alive connection was closed after ${idle.closedAfterMs} ms`,
    )
  },
)
