// The process as a user starts it: configuration errors stop it with a message, demo mode announces
// itself and answers the README's example, and SIGTERM closes it cleanly.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { LOAD_SHEDDING_OFF_ENV } from '../helpers/load-shedding-off.js'

const root = new URL('../../', import.meta.url)

function startServer(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/service/server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...LOAD_SHEDDING_OFF_ENV, HOST: '127.0.0.1', ...env },
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

t.test('a bad value stops the process with a message naming the field, never the value', async (t) => {
  const child = startServer({
    PORT: 'not-a-port',
    FEISHU_APP_ID: 'cli_x',
    FEISHU_APP_SECRET: 'very-secret-value',
  })
  const stderr = collect(child.stderr)
  const [code] = await once(child, 'exit')
  t.equal(code, 1)
  t.match(stderr.text, /configuration error: PORT must be a whole number/)
  t.notMatch(stderr.text, /very-secret-value|not-a-port/)
})

t.test('demo mode: one clear line, the README example answers, SIGTERM exits 0', async (t) => {
  const child = startServer({ PORT: '0', LOG_LEVEL: 'info' })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const stdout = collect(child.stdout)
  const deadline = Date.now() + 20_000
  while (!/Swagger UI at http:\/\/[^/]+:(\d+)\/docs/.test(stdout.text) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const line = stdout.text.split('\n').find((text) => text.includes('demo mode'))
  t.ok(line, 'a demo-mode line is logged')
  t.match(
    line,
    /sources "feishu" and "dingtalk".*Swagger UI at http:\/\/localhost:\d+\/docs|Swagger UI at http:\/\/127\.0\.0\.1:\d+\/docs/,
  )
  const port = /:(\d+)\/docs/.exec(line ?? '')?.[1]
  const response = await fetch(
    `http://127.0.0.1:${port}/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1,dingtalk:d1`,
  )
  t.equal(response.status, 200)
  const body = (await response.json()) as { results: unknown[]; complete: boolean }
  t.equal(body.results.length, 10)
  t.equal(body.complete, true)
  const docs = await fetch(`http://127.0.0.1:${port}/docs/json`)
  t.ok(((await docs.json()) as { paths: Record<string, unknown> }).paths['/attendance/results'])

  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0, 'graceful exit')
})
