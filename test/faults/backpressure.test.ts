// A client that stops reading in the middle of a 5,000-user answer: the service must wait for it instead
// of piling the answer up in memory, and the answer must be complete and exact once the client reads on.
// The service runs as its own process (so its RSS is its own), against the Feishu simulator over HTTP.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { formatWorkDate, parseWorkDate, toCompactDate } from '../../src/platform/time/work-date.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { feishuTaskFor, startFeishuSimulator } from '../../src/simulators/index.js'
import { LOAD_SHEDDING_OFF_ENV } from '../helpers/load-shedding-off.js'

const root = new URL('../../', import.meta.url)
const MiB = 1024 * 1024
const from = '2024-05-01'
const to = '2024-05-31'
const USERS = 5000
/**
 * What the service may add to its resting RSS while its client does not read (stated in the README). The
 * answer is about 100 MiB of JSON; without backpressure the service made every vendor call and grew by
 * 302 MiB here; with it, 36-63 of 200 calls and 168-344 MiB, depending on how loaded the machine was (most
 * of it garbage of the parsed vendor answers that V8 had not collected yet). The calls made while paused
 * are what shows the service waiting; RSS is bounded too because it is what an operator sees.
 */
const RSS_BOUND_MIB = 400

const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) * 1024

function startService(sourcesFile: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/service/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      ...LOAD_SHEDDING_OFF_ENV,
      HOST: '127.0.0.1',
      PORT: '0',
      SOURCES_FILE: sourcesFile,
      AUTH_DISABLED: 'true',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let text = ''
    child.stdout?.on('data', (chunk) => {
      text += chunk.toString()
      const port = /Swagger UI at http:\/\/[^:]+:(\d+)\/docs/.exec(text)?.[1]
      if (port) resolve({ child, port: Number(port) })
    })
    child.once('exit', (code) => reject(new Error(`the service exited with ${code} before listening`)))
  })
}

function post(port: number, body: unknown) {
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/attendance/results' },
      resolve,
    )
    request.on('error', reject)
    request.setHeader('content-type', 'application/json')
    request.end(JSON.stringify(body))
  })
}

async function readAll(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of response) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

t.test('a client that stops reading holds the service back, and then gets every day', async (t) => {
  const feishu = await startFeishuSimulator({ rateLimitPerSecond: 100_000 })
  t.teardown(() => feishu.close())
  const dir = mkdtempSync(join(tmpdir(), 'backpressure-'))
  const sourcesFile = join(dir, 'sources.json')
  const { appId, appSecret } = feishu.credentials
  writeFileSync(
    sourcesFile,
    JSON.stringify({
      sources: [
        // No result cache: every query reaches the vendor, and what is bounded is the answer's memory.
        {
          id: 'feishu',
          vendor: 'feishu',
          baseUrl: feishu.url,
          appId,
          appSecret,
          rateLimitPerSecond: 5000,
          cacheTtlSeconds: 0,
        },
      ],
    }),
  )
  const { child, port } = await startService(sourcesFile)
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const pid = child.pid as number
  const userIds = Array.from({ length: USERS }, (_, i) => `u${String(i).padStart(5, '0')}`)

  // Warm up (JIT, serializers, token), then take the resting RSS.
  await readAll(await post(port, { from, to, users: userIds.slice(0, 50).map((id) => `feishu:${id}`) }))
  const restingRss = rssOf(pid)
  feishu.resetCounters()

  const response = await post(port, { from, to, users: userIds.map((id) => `feishu:${id}`) })
  t.equal(response.statusCode, 200)
  response.pause() // the client stops reading
  // Until the vendor calls stop: with no backpressure, all 200 of them are made and the answer piles up.
  let calls = -1
  let peakRss = 0
  for (let quiet = 0; quiet < 15; ) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    peakRss = Math.max(peakRss, rssOf(pid))
    const now = feishu.counters().dataCalls
    quiet = now === calls ? quiet + 1 : 0
    calls = now
  }
  const plannedCalls = (USERS / 50) * 2 // 50 users a call, 31 days in windows of at most 30
  t.ok(
    calls < plannedCalls / 2,
    `${calls} of ${plannedCalls} vendor calls made while the client did not read`,
  )
  const grewMiB = (peakRss - restingRss) / MiB
  t.ok(grewMiB < RSS_BOUND_MIB, `RSS grew ${grewMiB.toFixed(0)} MiB (bound ${RSS_BOUND_MIB} MiB)`)

  const resumed = Date.now()
  response.resume()
  const text = await readAll(response)
  t.comment(
    `read the rest in ${Date.now() - resumed} ms; RSS now ${(rssOf(pid) / MiB).toFixed(0)} MiB, resting ${(restingRss / MiB).toFixed(0)} MiB, answer ${(text.length / MiB).toFixed(0)} MiB`,
  )
  const body = JSON.parse(text) as AttendanceResponse
  t.equal(feishu.counters().dataCalls, plannedCalls, 'every planned call once the client read on')
  t.equal(body.complete, true)
  const expected: string[] = []
  for (const userId of userIds) {
    for (let day = parseWorkDate(from) as number; day <= (parseWorkDate(to) as number); day++) {
      if (feishuTaskFor(userId, toCompactDate(day), { overtime: false }))
        expected.push(`${userId}/${formatWorkDate(day)}`)
    }
  }
  t.ok(expected.length > USERS * 15, `${expected.length} days expected`)
  const got = body.results.map((day) => `${day.userId}/${day.workDate}`)
  t.equal(got.length, expected.length)
  t.same(got, expected, 'every day once, in order')
})
