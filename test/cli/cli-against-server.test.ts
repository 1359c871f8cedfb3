// The `attendance` command against the real service, listening on a port, with the vendor simulators
// behind it. DingTalk's credentials are wrong on purpose: the simulator refuses them at once
// (VENDOR_AUTH_FAILED, no retry), so an export with a DingTalk user is incomplete the same way in every
// run, and one of Feishu users only is complete.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import t, { type Test } from 'tap'
import type { PlanAnswer, SourcesAnswer } from '../../src/cli/api-types.js'
import { createLogger } from '../../src/platform/logging/logger.js'
import { SecretRedactor } from '../../src/platform/logging/secret-redactor.js'
import type { ExportJob } from '../../src/schemas/export.js'
import { buildApp } from '../../src/service/app.js'
import { apiKey, bearer } from '../helpers/api-keys.js'
import { sourcesFor, startSimulators } from '../helpers/integration.js'
import { checkEveryAnswer } from '../helpers/openapi-hook.js'
import { LogCapture, testConfig } from '../helpers/test-app.js'
import { runCli, startCli } from './run-cli.js'

const KEY = 'cli-integration-key-4f1d2e'

async function startService(t: Test) {
  const simulators = await startSimulators(t)
  const sources = sourcesFor(simulators, { dingtalk: { appSecret: 'not-the-secret' } as never })
  const redactor = new SecretRedactor()
  const config = testConfig({ sources, apiKeys: [apiKey('cli', KEY)] })
  const app = await buildApp({
    config,
    redactor,
    logger: createLogger({ level: config.logLevel, redactor, destination: new LogCapture() }),
  })
  t.teardown(() => app.close())
  checkEveryAnswer(app, t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  return { app, url: `http://127.0.0.1:${port}` }
}

const service = await startService(t)
// As a user would set them up once in their shell.
const env = { ATTENDANCE_URL: service.url, ATTENDANCE_API_KEY: KEY }
const range = ['--from', '2024-05-06', '--to', '2024-05-10']

async function tempDir() {
  return mkdtemp(join(tmpdir(), 'attendance-cli-'))
}

async function usersFile(lines: string[]) {
  const file = join(await tempDir(), 'staff.txt')
  await writeFile(file, `${lines.join('\n')}\n`)
  return file
}

async function jobOf(stderr: string): Promise<ExportJob> {
  const id = /^export (\S+) submitted/m.exec(stderr)?.[1]
  if (!id) throw new Error(`no job id in:\n${stderr}`)
  return (
    await service.app.inject({ url: `/attendance/exports/${id}`, headers: bearer(KEY) })
  ).json<ExportJob>()
}

t.test('--help of the program and of each command', async (t) => {
  const main = await runCli(['--help'])
  t.equal(main.code, 0)
  t.match(main.stdout, /^Usage: attendance \[options\] \[command\]/)
  for (const command of ['export', 'plan', 'sources']) t.match(main.stdout, new RegExp(`^  ${command} `, 'm'))
  const options: Record<string, string[]> = {
    export: ['--from', '--to', '--users-file', '--users', '--format', '--out', '--bom', '--overtime'],
    plan: ['--from', '--to', '--users-file', '--users', '--overtime', '--max-age', '--json'],
    sources: ['--json'],
  }
  for (const [command, names] of Object.entries(options)) {
    const help = await runCli([command, '--help'])
    t.equal(help.code, 0, command)
    t.match(help.stdout, `Usage: attendance ${command} [options]`)
    for (const name of [...names, '--url', '--api-key'])
      t.match(help.stdout, new RegExp(`^  ${name}\\b`, 'm'), name)
  }
  t.match((await runCli(['export', '--help'])).stdout, /^ {2}3 +the file is written and verified, but/m)
})

t.test('sources: a table of both sources, --json the service answer', async (t) => {
  const table = await runCli(['sources'], { env })
  t.equal(table.code, 0, table.stderr)
  const lines = table.stdout.trim().split('\n')
  t.match(lines[0], /^SOURCE +VENDOR +TIMEZONE +CALLS\/S/)
  t.same(
    lines.slice(1).map((line) => line.split(/ +/).slice(0, 4)),
    [
      ['feishu', 'feishu', 'Asia/Shanghai', '45'],
      ['dingtalk', 'dingtalk', 'Asia/Shanghai', '19'],
    ],
  )
  const json = await runCli(['sources', '--json'], { env })
  t.equal(json.code, 0)
  const direct = (await service.app.inject({ url: '/sources', headers: bearer(KEY) })).json<SourcesAnswer>()
  t.same(
    (JSON.parse(json.stdout) as SourcesAnswer).sources.map((source) => source.id),
    direct.sources.map((source) => source.id),
  )
})

t.test('a missing or wrong key: exit 1 with the service code, the key never printed', async (t) => {
  const none = await runCli(['sources', '--url', service.url])
  t.equal(none.code, 1)
  t.match(none.stderr, /^attendance: ATT_UNAUTHORIZED: /)
  const wrong = await runCli(['sources'], { env: { ...env, ATTENDANCE_API_KEY: 'wrong-key-9d8c7b' } })
  t.equal(wrong.code, 1)
  t.match(wrong.stderr, /^attendance: ATT_UNAUTHORIZED: /)
  t.notMatch(wrong.stderr + wrong.stdout, 'wrong-key-9d8c7b')
})

t.test('plan: a row per source, and --json the service answer', async (t) => {
  const file = await usersFile(['feishu:u1', 'feishu:u2', 'dingtalk:d1'])
  const table = await runCli(['plan', ...range, '--users-file', file], { env })
  t.equal(table.code, 0, table.stderr)
  t.match(table.stdout, /^2024-05-06\.\.2024-05-10\nSOURCE +VENDOR +USER-DAYS +CACHED +TO FETCH +CALLS/)
  t.match(table.stdout, /^feishu +feishu +10 +0 +10 +1 /m)
  t.match(table.stdout, /^dingtalk +dingtalk +5 +0 +5 +~\d+ /m)
  const json = await runCli(['plan', ...range, '--users-file', file, '--json'], { env })
  t.equal(json.code, 0)
  const answer = JSON.parse(json.stdout) as PlanAnswer
  t.match(answer, { from: '2024-05-06', to: '2024-05-10' })
  const bySource = Object.fromEntries(answer.sources.map((plan) => [plan.source, plan]))
  t.match(bySource.feishu, {
    userDays: 10,
    cached: 0,
    toFetch: 10,
    plannedCalls: 1,
    plannedCallsAreEstimate: false,
  })
  t.match(bySource.dingtalk, { userDays: 5, cached: 0, toFetch: 5, plannedCallsAreEstimate: true })
})

t.test('export to csv: progress lines on stderr, the file written and its sha256 checked', async (t) => {
  const dir = await tempDir()
  const out = join(dir, 'may.csv')
  const file = await usersFile(['# the office', 'feishu:u1', '', 'feishu:u2'])
  const run = await runCli(
    ['export', ...range, '--users-file', file, '--out', out, '--poll-interval', '200'],
    {
      env,
    },
  )
  t.equal(run.code, 0, run.stderr)
  t.match(run.stderr, /^export \S+ submitted: 2 users, 2024-05-06\.\.2024-05-10, csv$/m)
  t.match(run.stderr, /^export \S+: succeeded 100%$/m, 'plain progress lines: stderr is not a terminal')
  t.notMatch(run.stderr, '\u001b[', 'no bar, no escape codes')
  const job = await jobOf(run.stderr)
  t.match(job, { status: 'succeeded', format: 'csv', complete: true, userCount: 2 })
  const bytes = readFileSync(out)
  t.equal(createHash('sha256').update(bytes).digest('hex'), job.file?.sha256)
  t.match(run.stderr, `sha256 ${job.file?.sha256} verified`)
  t.notOk(existsSync(`${out}.part`))
  const rows = parse(bytes, { columns: true }) as Record<string, string>[]
  t.ok(rows.length > 0)
  t.same([...new Set(rows.map((row) => row.userId))].sort(), ['u1', 'u2'])
  t.notMatch(run.stderr + run.stdout, KEY)
})

t.test(
  'an incomplete export: the file kept, the failed source listed, exit 3 unless --allow-incomplete',
  async (t) => {
    const out = join(await tempDir(), 'may.csv')
    const args = [
      'export',
      ...range,
      '--users',
      'feishu:u1,dingtalk:d1',
      '--out',
      out,
      '--poll-interval',
      '200',
    ]
    const run = await runCli(args, { env })
    t.equal(run.code, 3, run.stderr)
    t.match(run.stderr, /^ {2}dingtalk: error VENDOR_AUTH_FAILED: /m)
    t.match(run.stderr, /^ {4}missing 2024-05-06\.\.2024-05-10: d1 \(1 user\)$/m)
    t.match(run.stderr, `attendance: incomplete export; the file ${out} was kept`)
    const job = await jobOf(run.stderr)
    t.match(job, { status: 'succeeded', complete: false })
    t.equal(createHash('sha256').update(readFileSync(out)).digest('hex'), job.file?.sha256)

    const accepted = await runCli([...args, '--allow-incomplete'], { env })
    t.equal(accepted.code, 0, accepted.stderr)
    t.match(accepted.stderr, /^ {2}dingtalk: error VENDOR_AUTH_FAILED: /m)
    t.match(accepted.stderr, 'accepted by --allow-incomplete')
  },
)

t.test('a bad users file: exit 2 naming the line', async (t) => {
  const file = await usersFile(['feishu:u1', 'u2'])
  const out = join(await tempDir(), 'may.csv')
  const run = await runCli(['export', ...range, '--users-file', file, '--out', out], { env })
  t.equal(run.code, 2)
  t.equal(run.stderr.trim(), `attendance: ${file}:2: expected source:userId, got "u2"`)
  t.notOk(existsSync(out))
})

t.test('Ctrl-C while the job runs: the job is cancelled on the service, exit 130', async (t) => {
  // 3,000 Feishu users over 93 days: 240 calls, over 5 s at the source's 45 a second.
  const file = await usersFile(Array.from({ length: 3000 }, (_, i) => `feishu:c${i}`))
  const out = join(await tempDir(), 'q.csv')
  const cli = startCli(
    ['export', '--from', '2024-03-01', '--to', '2024-06-01', '--users-file', file, '--out', out].concat([
      '--poll-interval',
      '200',
    ]),
    { env },
  )
  await cli.stderrLine(/: running \d+%/)
  cli.child.kill('SIGINT')
  const run = await cli.done
  t.equal(run.code, 130, run.stderr)
  t.match(run.stderr, /^export \S+ cancelled$/m)
  t.match(await jobOf(run.stderr), { status: 'cancelled', file: null })
  t.notOk(existsSync(out))
})
