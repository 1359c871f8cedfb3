// The export flow against a scripted service (fake-service.ts): what the CLI sends, and the exit status
// and files it leaves for each way a job can end. cli-against-server.test.ts runs it on the real service.
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { JOB_ID, startFakeService } from './fake-service.js'
import { runCli, startCli } from './run-cli.js'

const API_KEY = 'cli-test-key-0123456789'

async function outPath(name: string) {
  return join(await mkdtemp(join(tmpdir(), 'attendance-cli-')), name)
}

function exportArgs(url: string, out: string, ...more: string[]) {
  return ['export', '--url', url, '--from', '2024-05-01', '--to', '2024-05-02', '--users', 'feishu:u1']
    .concat(['--out', out, '--poll-interval', '100'])
    .concat(more)
}

const running = (percent: number, etaSeconds: number) => ({
  status: 'running' as const,
  progress: { plannedCalls: 4, vendorCalls: percent / 25, days: 0, percent },
  etaSeconds,
})
const succeeded = {
  status: 'succeeded' as const,
  complete: true,
  progress: { plannedCalls: 4, vendorCalls: 4, days: 2, percent: 100 },
}

t.test('sends the query, the key and the idempotency key; follows, downloads, verifies', async (t) => {
  const service = await startFakeService(t, { polls: [running(50, 2), succeeded] })
  const out = await outPath('may.csv')
  const run = await runCli(
    exportArgs(service.url, out, '--bom', '--max-age', '60', '--idempotency-key', 'k-1'),
    {
      env: { ATTENDANCE_API_KEY: API_KEY },
    },
  )
  t.equal(run.code, 0, run.stderr)
  const submit = service.requests[0]
  t.same(submit?.body, {
    from: '2024-05-01',
    to: '2024-05-02',
    users: ['feishu:u1'],
    maxAge: 60,
    format: 'csv',
    bom: true,
  })
  t.equal(submit?.headers.authorization, `Bearer ${API_KEY}`)
  t.equal(submit?.headers['idempotency-key'], 'k-1')
  t.ok(
    service.requests.every((request) => request.headers.authorization === `Bearer ${API_KEY}`),
    'every request carries the key',
  )
  t.same(readFileSync(out), service.file)
  t.notOk(existsSync(`${out}.part`))
  t.match(run.stderr, `export ${JOB_ID} submitted`)
  t.match(run.stderr, /^export 3f2a9c1b…: running 50% eta 2s$/m)
  t.match(run.stderr, /^export 3f2a9c1b…: succeeded 100%$/m)
  t.match(run.stderr, `sha256 ${service.sha256} verified`)
  t.notMatch(run.stderr + run.stdout, API_KEY)
})

t.test('without --api-key or ATTENDANCE_API_KEY no Authorization header is sent', async (t) => {
  const service = await startFakeService(t, { polls: [succeeded] })
  const run = await runCli(exportArgs(service.url, await outPath('a.json')))
  t.equal(run.code, 0, run.stderr)
  t.equal(service.requests[0]?.headers.authorization, undefined)
  t.match(service.requests[0]?.body, { format: 'json' }, 'the format follows --out')
})

t.test('--format wins over the extension; an unknown extension means json', async (t) => {
  const service = await startFakeService(t, { polls: [succeeded] })
  t.equal((await runCli(exportArgs(service.url, await outPath('a.csv'), '--format', 'ndjson'))).code, 0)
  t.equal((await runCli(exportArgs(service.url, await outPath('a.txt')))).code, 0)
  t.same(
    service.requests.filter((request) => request.method === 'POST').map((request) => request.body),
    [
      { from: '2024-05-01', to: '2024-05-02', users: ['feishu:u1'], format: 'ndjson' },
      { from: '2024-05-01', to: '2024-05-02', users: ['feishu:u1'], format: 'json' },
    ],
  )
})

t.test('a file that does not match its sha256 is deleted: exit 5, no <out>, no <out>.part', async (t) => {
  const service = await startFakeService(t, { polls: [succeeded], announcedSha256: 'ab'.repeat(32) })
  const out = await outPath('may.csv')
  const run = await runCli(exportArgs(service.url, out))
  t.equal(run.code, 5)
  t.match(run.stderr, /sha256 mismatch: the service announced abab.*the download was deleted/)
  t.notOk(existsSync(out))
  t.notOk(existsSync(`${out}.part`))
})

t.test('a failed job: exit 4 with its error; a cancelled one: exit 4 too', async (t) => {
  const failed = await startFakeService(t, {
    polls: [{ status: 'failed', error: { code: 'EXPORT_FILE_TOO_LARGE', message: 'past 100 MB' } }],
  })
  const run = await runCli(exportArgs(failed.url, await outPath('a.csv')))
  t.equal(run.code, 4)
  t.match(run.stderr, 'attendance: export 3f2a9c1b… failed: EXPORT_FILE_TOO_LARGE: past 100 MB')
  const cancelled = await startFakeService(t, { polls: [{ status: 'cancelled' }] })
  const other = await runCli(exportArgs(cancelled.url, await outPath('a.csv')))
  t.equal(other.code, 4)
  t.match(other.stderr, 'export 3f2a9c1b… cancelled')
})

t.test('a refused submission: exit 1 with code: message, the key never shown', async (t) => {
  const service = await startFakeService(t, {
    refuseSubmit: {
      statusCode: 403,
      code: 'ATT_SOURCE_FORBIDDEN',
      message: 'this key may not read dingtalk',
    },
    polls: [],
  })
  const run = await runCli([...exportArgs(service.url, await outPath('a.csv')), '--api-key', API_KEY])
  t.equal(run.code, 1)
  t.equal(run.stderr.trim(), 'attendance: ATT_SOURCE_FORBIDDEN: this key may not read dingtalk')
})

t.test('a poll answered 503 is asked again; the export goes on', async (t) => {
  const busy = { statusCode: 503, code: 'ATT_OVERLOADED', message: 'busy' }
  const service = await startFakeService(t, { polls: [busy, busy, running(75, 1), succeeded] })
  const run = await runCli(exportArgs(service.url, await outPath('a.csv')))
  t.equal(run.code, 0, run.stderr)
  t.match(run.stderr, 'running 75%')
})

t.test('a poll refused for good (404) stops with exit 1', async (t) => {
  const gone = { statusCode: 404, code: 'ATT_EXPORT_NOT_FOUND', message: 'no such export' }
  const service = await startFakeService(t, { polls: [gone] })
  const run = await runCli(exportArgs(service.url, await outPath('a.csv')))
  t.equal(run.code, 1)
  t.match(run.stderr, 'attendance: ATT_EXPORT_NOT_FOUND: no such export')
})

t.test('Ctrl-C while the job runs cancels it (DELETE) and exits 130', async (t) => {
  const service = await startFakeService(t, { polls: [running(25, 60)] })
  const out = await outPath('a.csv')
  const cli = startCli(exportArgs(service.url, out))
  await cli.stderrLine(/running 25%/)
  cli.child.kill('SIGINT')
  const run = await cli.done
  t.equal(run.code, 130)
  t.ok(
    service.requests.some(
      (request) => request.method === 'DELETE' && request.url === `/attendance/exports/${JOB_ID}`,
    ),
    'the job was cancelled',
  )
  t.match(run.stderr, `export ${JOB_ID} cancelled`)
  t.notOk(existsSync(out))
})

t.test(
  'an incomplete result: the file is kept, what is missing listed, exit 3 unless --allow-incomplete',
  async (t) => {
    const report = {
      vendor: 'dingtalk' as const,
      vendorCalls: 0,
      invalidUserIds: [],
      unauthorizedUserIds: [],
      warnings: [],
      cache: { hits: 0, misses: 14 },
    }
    const incomplete = {
      ...succeeded,
      complete: false,
      sources: [
        {
          ...report,
          source: 'feishu',
          vendor: 'feishu' as const,
          status: 'ok' as const,
          missing: [],
          error: null,
        },
        {
          ...report,
          source: 'dingtalk',
          status: 'error' as const,
          missing: [
            { userIds: ['d1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7'], from: '2024-05-01', to: '2024-05-02' },
          ],
          error: { code: 'VENDOR_AUTH_FAILED' as const, message: 'credentials refused', vendorCode: 40089 },
        },
      ],
    }
    const service = await startFakeService(t, { polls: [incomplete] })
    const out = await outPath('may.csv')
    const run = await runCli(exportArgs(service.url, out))
    t.equal(run.code, 3)
    t.same(readFileSync(out), service.file, 'the file is kept')
    const lines = run.stderr.trim().split('\n')
    t.same(lines.slice(-4), [
      'export 3f2a9c1b… is incomplete:',
      '  dingtalk: error VENDOR_AUTH_FAILED: credentials refused',
      '    missing 2024-05-01..2024-05-02: d1, d2, d3, d4, d5 and 2 more (7 users)',
      `attendance: incomplete export; the file ${out} was kept (--allow-incomplete exits 0 for this)`,
    ])

    const accepted = await runCli(exportArgs(service.url, out, '--allow-incomplete'))
    t.equal(accepted.code, 0)
    t.match(accepted.stderr, '  dingtalk: error VENDOR_AUTH_FAILED')
    t.match(
      accepted.stderr,
      `accepted by --allow-incomplete; the file ${out} holds everything that was fetched`,
    )
  },
)

t.test('usage errors (exit 2) send nothing', async (t) => {
  const service = await startFakeService(t, { polls: [succeeded] })
  const out = await outPath('a.csv')
  const file = join(await outPath(''), 'staff.txt')
  await writeFile(file, 'feishu:u1\nfeishu u2\n')
  const cases: [string[], RegExp][] = [
    [['--users-file', file], /staff\.txt:2: expected source:userId, got "feishu u2"/],
    [['--users', 'u1'], /--users: expected source:userId, got "u1"/],
    [['--max-age', '-1'], /option '--max-age <seconds>' argument '-1' is invalid/],
    [['--format', 'pdf'], /option '--format <format>' argument 'pdf' is invalid/],
    [['--to', '2024-04-30'], /--from 2024-05-01 is after --to 2024-04-30/],
    [
      ['--to', '2024-02-30'],
      /option '--to <date>' argument '2024-02-30' is invalid. expected a date YYYY-MM-DD/,
    ],
  ]
  for (const [more, message] of cases) {
    const run = await runCli(exportArgs(service.url, out, ...more))
    t.equal(run.code, 2, more.join(' '))
    t.match(run.stderr, message)
  }
  const noOut = await runCli([
    'export',
    '--url',
    service.url,
    '--from',
    '2024-05-01',
    '--to',
    '2024-05-01',
    '--users',
    'a:b',
  ])
  t.equal(noOut.code, 2)
  t.match(noOut.stderr, "required option '--out <path>' not specified")
  const noUsers = await runCli([
    'export',
    '--url',
    service.url,
    '--from',
    '2024-05-01',
    '--to',
    '2024-05-01',
    '--out',
    out,
  ])
  t.equal(noUsers.code, 2)
  t.match(noUsers.stderr, 'no users: give --users-file <path> and/or --users a:b,c:d')
  t.same(service.requests, [], 'no request reached the service')
})

t.test('Ctrl-C during the download: no file left, the finished job not cancelled, exit 130', async (t) => {
  const service = await startFakeService(t, { polls: [succeeded], holdFile: true })
  const out = await outPath('a.csv')
  const cli = startCli(exportArgs(service.url, out))
  await cli.stderrLine(/succeeded 100%/)
  // The request for the file has arrived: the download is under way.
  while (!service.requests.some((request) => request.url.endsWith('/file')))
    await new Promise((resolve) => setTimeout(resolve, 20))
  cli.child.kill('SIGINT')
  const run = await cli.done
  t.equal(run.code, 130)
  t.match(run.stderr, `attendance: interrupted: download abandoned; export ${JOB_ID} keeps its file until`)
  t.notOk(service.requests.some((request) => request.method === 'DELETE'))
  t.notOk(existsSync(out))
  t.notOk(existsSync(`${out}.part`))
})

t.test('a cancel refused while the service sheds load is tried again, after its Retry-After', async (t) => {
  const busy = {
    statusCode: 503,
    code: 'ATT_OVERLOADED',
    message: 'the service is overloaded',
    retryAfter: 0,
  }
  const service = await startFakeService(t, { polls: [running(25, 60)], cancels: [busy] })
  const cli = startCli(exportArgs(service.url, await outPath('a.csv')))
  await cli.stderrLine(/running 25%/)
  cli.child.kill('SIGINT')
  const run = await cli.done
  t.equal(run.code, 130)
  t.equal(service.requests.filter((request) => request.method === 'DELETE').length, 2)
  t.match(run.stderr, 'ATT_OVERLOADED: the service is overloaded; trying again in 0 s (attempt 2 of 5)')
  t.match(run.stderr, `export ${JOB_ID} cancelled`)
})
