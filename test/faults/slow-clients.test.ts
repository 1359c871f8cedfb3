// Slow clients against the real process under a low limit of open files: waves of more connections than
// the limit allows, each sending its body (or its headers) one byte at a time. The service must close every
// one of them within its timeouts, hold no more than MAX_CONNECTIONS at once, keep answering /healthz and a
// real query meanwhile, and still be running afterwards. Before, it held slow bodies for ever, and the
// process closed itself on EMFILE thrown by under-pressure's memory probe. A cap set above the limit (a
// misconfiguration) must not end the process either: it warns at start and rides out the failed accepts.
import http from 'node:http'
import net from 'node:net'
import type { Test } from 'tap'
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { recentRange, startSimulators } from '../helpers/integration.js'
import { type ServiceProcess, simulatorEnv, startServiceProcess } from '../helpers/service-process.js'
import { sleep } from './helpers.js'

const OPEN_FILES = 256
const MAX_CONNECTIONS = 64
const HEADERS_TIMEOUT_MS = 1500
const REQUEST_TIMEOUT_MS = 3000
/** Attackers in each wave, half of each kind: more than the open-file limit allows. */
const ATTACKERS = 350
/** Waves of them: the next one comes when the previous one has been closed. */
const WAVES = 2
/** How often an attacker sends its next byte: often enough that no idle timeout ever fires. */
const DRIP_MS = 500
/** Added to every bound: the server checks its timeouts about once a second, on a machine others share. */
const SLACK_MS = 5000

interface Attacker {
  kind: 'body' | 'headers'
  openedAt: number
  closedAt?: number
  /** What the server wrote before it closed the connection. */
  answer: string
}

function attack(port: number, kind: Attacker['kind']): Attacker {
  const attacker: Attacker = { kind, openedAt: Date.now(), answer: '' }
  const socket = net.connect({ host: '127.0.0.1', port })
  let drip: NodeJS.Timeout | undefined
  socket.on('connect', () => {
    socket.write(
      kind === 'body'
        ? 'POST /events/feishu/feishu HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200000\r\n\r\n{'
        : 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ',
    )
    drip = setInterval(() => socket.write('a'), DRIP_MS)
  })
  socket.on('data', (chunk) => {
    attacker.answer += chunk.toString()
  })
  socket.on('error', () => {}) // a reset is one way of being closed
  socket.on('close', () => {
    clearInterval(drip)
    attacker.closedAt = Date.now()
  })
  return attacker
}

/** One request on a connection of its own: its status, or the reason it got none. */
function probe(port: number, path: string, timeoutMs: number): Promise<{ status?: number; body: string }> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs },
      (response) => {
        let body = ''
        response.on('data', (chunk) => {
          body += chunk
        })
        response.on('end', () => resolve({ status: response.statusCode, body }))
        response.on('error', (error) => resolve({ body: error.message }))
      },
    )
    request.on('timeout', () => request.destroy(new Error('timed out')))
    request.on('error', (error) => resolve({ body: error.message }))
  })
}

interface Siege {
  attackers: Attacker[]
  /** When /healthz answered 200, with the start and the end of the siege around them. */
  answeredAt: number[]
  query?: AttendanceResponse
}

/**
 * WAVES waves of ATTACKERS slow clients, alternating kinds, while /healthz and a small query are asked on
 * connections of their own every 200 ms; until every attacker is closed and the query answered, or long
 * past every bound.
 */
async function besiege(port: number, queryPath: string): Promise<Siege> {
  const started = Date.now()
  const attackers: Attacker[] = []
  const answeredAt = [started]
  let query: AttendanceResponse | undefined
  const giveUp = started + WAVES * (REQUEST_TIMEOUT_MS + 2 * SLACK_MS)
  for (let wave = 0; wave < WAVES; wave++) {
    for (let i = 0; i < ATTACKERS; i++) attackers.push(attack(port, i % 2 === 0 ? 'body' : 'headers'))
    while (Date.now() < giveUp && (attackers.some((a) => !a.closedAt) || !query)) {
      const [health, answer] = await Promise.all([
        probe(port, '/healthz', 1000),
        query ? undefined : probe(port, queryPath, 5000),
        sleep(200),
      ])
      if (health.status === 200) answeredAt.push(Date.now())
      if (answer?.status === 200) {
        const body = JSON.parse(answer.body) as AttendanceResponse
        if (body.complete) query = body
      }
    }
  }
  answeredAt.push(Date.now())
  for (const attacker of attackers) attacker.closedAt ??= Number.POSITIVE_INFINITY
  return { attackers, answeredAt, query }
}

async function startBesieged(t: Test, maxConnections: number) {
  const simulators = await startSimulators(t)
  const service = await startServiceProcess(
    t,
    {
      ...simulatorEnv(simulators),
      MAX_CONNECTIONS: String(maxConnections),
      HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      RATE_LIMIT_PER_MINUTE: '0',
      // This test is about connections: load shedding must not answer for the machine's load.
      MAX_EVENT_LOOP_DELAY_MS: '0',
    },
    { openFilesLimit: OPEN_FILES },
  )
  const week = recentRange(5)
  const queryPath = `/attendance/results?from=${week.from}&to=${week.to}&users=feishu:u1,dingtalk:d1`
  t.equal((await probe(service.port, queryPath, 20_000)).status, 200, 'the query answers before the siege')
  return { service, queryPath }
}

/** What holds whatever the cap: the process lives, every attacker is closed in time, the others answered. */
function assertRiddenOut(t: Test, service: ServiceProcess, siege: Siege) {
  t.ok(service.running(), 'the service is still running')
  t.notMatch(service.output.text, /closing after an uncaught error/, 'no uncaught error')
  for (const kind of ['body', 'headers'] as const) {
    const limit = (kind === 'body' ? REQUEST_TIMEOUT_MS : HEADERS_TIMEOUT_MS) + SLACK_MS
    const open = siege.attackers
      .filter((a) => a.kind === kind)
      .map((a) => (a.closedAt as number) - a.openedAt)
    t.equal(
      open.filter((ms) => ms > limit).length,
      0,
      `every slow ${kind === 'body' ? 'body' : 'header'} connection was closed by the server within ${limit} ms (longest ${Math.max(...open)} ms)`,
    )
    const timedOut = siege.attackers.filter((a) => a.kind === kind && a.answer !== '')
    t.ok(timedOut.length > 0, `${timedOut.length} slow ${kind} connections were admitted, then timed out`)
  }
  t.ok(
    siege.attackers
      .filter((a) => a.answer !== '')
      .every((a) => /^HTTP\/1\.1 408 /.test(a.answer) && a.answer.includes('"code":"ATT_BAD_HTTP_REQUEST"')),
    'each one admitted got 408 in the service error shape',
  )
  const gaps = siege.answeredAt.slice(1).map((at, i) => at - (siege.answeredAt[i] as number))
  t.ok(
    Math.max(...gaps) <= REQUEST_TIMEOUT_MS + SLACK_MS,
    `/healthz answered ${siege.answeredAt.length - 2} times; it never went unanswered longer than the request timeout (longest ${Math.max(...gaps)} ms)`,
  )
  t.equal(siege.query?.complete, true, 'a real query got its whole answer during the siege')
}

t.test('slow clients beyond the open-file limit: capped, closed in time, the service answers', async (t) => {
  const { service, queryPath } = await startBesieged(t, MAX_CONNECTIONS)
  const siege = await besiege(service.port, queryPath)
  assertRiddenOut(t, service, siege)
  t.notMatch(service.output.text, /EMFILE/, 'the cap kept file descriptors from running out')
  // Each wave fills the cap and is closed before the next: at most MAX_CONNECTIONS of a wave get in.
  const admitted = siege.attackers.filter((a) => a.answer !== '').length
  t.ok(admitted <= WAVES * MAX_CONNECTIONS, `${admitted} admitted: at most MAX_CONNECTIONS a wave`)
  const refused = siege.attackers.filter((a) => a.answer === '')
  t.equal(
    refused.filter((a) => (a.closedAt as number) - a.openedAt > SLACK_MS).length,
    0,
    `the other ${refused.length}, past the cap, were closed at once without an answer`,
  )
  t.match(
    service.output.text,
    /MAX_CONNECTIONS \(64\) connections open: \d+ new connection\(s\) closed at once/,
  )
})

t.test('a cap above the open-file limit: a warning at start, failed accepts ridden out', async (t) => {
  const { service, queryPath } = await startBesieged(t, 1000)
  t.match(
    service.output.text,
    /MAX_CONNECTIONS \(1000\) and the about \d+ other files .* exceed the open-file limit \(256/,
  )
  const siege = await besiege(service.port, queryPath)
  assertRiddenOut(t, service, siege)
  // The cap was not what stopped them: descriptors ran out first, and each wave's rest was refused.
  const admitted = siege.attackers.filter((a) => a.answer !== '').length
  t.ok(
    admitted < WAVES * OPEN_FILES && admitted < siege.attackers.length,
    `${admitted} of ${siege.attackers.length} admitted: fewer than the open-file limit a wave, far below the cap`,
  )
})
