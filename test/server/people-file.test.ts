// PEOPLE_FILE in the process as a user starts it (demo mode): an account at a source the demo does not
// serve stops the start-up with the configuration error; SIGHUP rereads the file, and a file that no
// longer checks out is refused while the people in use stay.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { until } from '../faults/helpers.js'
import { LOAD_SHEDDING_OFF_ENV } from '../helpers/load-shedding-off.js'

const root = new URL('../../', import.meta.url)

function startServer(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/service/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      ...LOAD_SHEDDING_OFF_ENV,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

function collect(stream: NodeJS.ReadableStream | null): { text: string } {
  const output = { text: '' }
  stream?.on('data', (chunk) => {
    output.text += chunk.toString()
  })
  return output
}

function writePeople(path: string, content: unknown): void {
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
}

/** The JSON log lines of the process so far. */
function logLines(stdout: { text: string }): Record<string, unknown>[] {
  return stdout.text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

interface PeopleList {
  people: { id: string; name: string | null; accounts: string[] }[]
}

t.test('demo mode: an account at a source the demo does not serve stops the start-up', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'people-')), 'people.json')
  writePeople(path, { people: [{ id: 'E1001', accounts: ['hq:ou_7d8a', 'feishu:u1'] }] })
  const child = startServer({ PEOPLE_FILE: path })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const stderr = collect(child.stderr)
  const [code] = await once(child, 'exit')
  t.equal(code, 1)
  t.equal(
    stderr.text,
    'configuration error: PEOPLE_FILE people[0].accounts[0] names source "hq", which is not configured (configured: feishu, dingtalk)\n',
  )
})

t.test('SIGHUP rereads PEOPLE_FILE; a bad file is refused and the people in use stay', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'people-')), 'people.json')
  writePeople(path, { people: [{ id: 'E1', name: 'First', accounts: ['feishu:u1'] }] })
  const child = startServer({ PEOPLE_FILE: path })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const stdout = collect(child.stdout)
  const stderr = collect(child.stderr)
  let port = ''
  await until(
    () => {
      port = /Swagger UI at http:\/\/[^:/]+:(\d+)\/docs/.exec(stdout.text)?.[1] ?? ''
      return port !== '' || child.exitCode !== null
    },
    'the server to listen',
    30_000,
  )
  t.not(port, '', `listening (stderr: ${stderr.text})`)
  const people = async (): Promise<PeopleList> => {
    const response = await fetch(`http://127.0.0.1:${port}/people`)
    if (response.status !== 200) throw new Error(`GET /people answered ${response.status}`)
    return (await response.json()) as PeopleList
  }
  t.same(await people(), { people: [{ id: 'E1', name: 'First', accounts: ['feishu:u1'] }] })
  t.ok(
    logLines(stdout).some((line) => line.msg === 'people loaded from PEOPLE_FILE' && line.people === 1),
    'the start-up says how many people it loaded',
  )

  const changed = {
    people: [
      { id: 'E1', name: 'First', accounts: ['feishu:u1'] },
      { id: 'E2', name: 'Transfer', accounts: ['dingtalk:d2', 'feishu:u2'] },
    ],
  }
  writePeople(path, changed)
  child.kill('SIGHUP')
  let seen: PeopleList = { people: [] }
  await until(async () => {
    seen = await people()
    return seen.people.length === 2
  }, 'GET /people to show the new person')
  t.same(seen, changed, 'the new file is served')
  // The log line may reach stdout a moment after the answer that shows the new people: wait for it.
  await until(
    () => logLines(stdout).some((line) => line.msg === 'PEOPLE_FILE reloaded' && line.people === 2),
    'the reload logged with the new count',
  )
  t.ok(logLines(stdout).some((line) => line.msg === 'PEOPLE_FILE reloaded' && line.people === 2))
  const days = await fetch(
    `http://127.0.0.1:${port}/attendance/results?from=2024-05-06&to=2024-05-06&users=person:E2`,
  )
  t.equal(days.status, 200)
  t.same(
    ((await days.json()) as { results: { source: string; userId: string; person: string }[] }).results.map(
      ({ source, userId, person }) => `${source}:${userId}=${person}`,
    ),
    ['dingtalk:d2=E2', 'feishu:u2=E2'],
    'person:E2 expands to the reloaded accounts',
  )

  for (const [what, content, reason] of [
    ['not JSON', '{"people": [', /cannot be read: not valid JSON/],
    [
      'an unknown source',
      { people: [{ id: 'E3', accounts: ['hq:x'] }] },
      /people\[0\]\.accounts\[0\] names source "hq", which is not configured/,
    ],
  ] as const) {
    const refusals = () =>
      logLines(stdout).filter((line) => line.msg?.toString().startsWith('PEOPLE_FILE not'))
    const before = refusals().length
    writePeople(path, content)
    child.kill('SIGHUP')
    await until(() => refusals().length > before, `the ${what} file to be refused`)
    const refused = refusals().at(-1)
    t.equal(refused?.msg, 'PEOPLE_FILE not reloaded: keeping the people in use', what)
    t.match(refused?.reason, reason, `${what}: the log says why`)
    t.equal(refused?.level, 50, 'logged as an error')
    t.same(await people(), changed, `${what}: the people in use stay`)
    t.equal(child.exitCode, null, `${what}: the process keeps running`)
  }

  child.kill('SIGTERM')
  const [code] = child.exitCode === null ? await once(child, 'exit') : [child.exitCode]
  t.equal(code, 0, 'graceful exit')
})
