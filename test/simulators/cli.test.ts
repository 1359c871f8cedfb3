import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const cli = fileURLToPath(new URL('../../src/simulators/cli.ts', import.meta.url))

/**
 * The child's environment. Under tap the child is tracked too; its coverage would come from tsx's own
 * transform and spoil the merged report, so it records none.
 */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, _TAPJS_PROCESSINFO_COVERAGE_: '0' }
}

t.test('npm run simulators: starts both, prints where and how, stops on SIGTERM', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', cli], {
    env: childEnv({ FEISHU_SIM_PORT: '0', DINGTALK_SIM_PORT: '0' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let output = ''
  child.stdout.setEncoding('utf8')
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in time:\n${output}`)), 15_000)
    child.stdout.on('data', (chunk: string) => {
      output += chunk
      if (/DingTalk simulator listening[\s\S]*admin:/.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)))
  })
  const feishuUrl = /Feishu simulator listening on (http:\/\/\S+)/.exec(output)?.[1]
  const dingtalkUrl = /DingTalk simulator listening on (http:\/\/\S+)/.exec(output)?.[1]
  t.match(output, /app_id: cli_simulator\n {2}app_secret: simulator-secret/)
  t.match(output, /appkey: simulator-key\n {2}appsecret: simulator-secret/)
  t.match(output, /\/__sim\/counters/)
  const token = await fetch(`${feishuUrl}/open-apis/auth/v3/tenant_access_token/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ app_id: 'cli_simulator', app_secret: 'simulator-secret' }),
  }).then((response) => response.json() as Promise<{ code: number }>)
  t.equal(token.code, 0)
  const access = await fetch(`${dingtalkUrl}/gettoken?appkey=simulator-key&appsecret=simulator-secret`).then(
    (response) => response.json() as Promise<{ errcode: number }>,
  )
  t.equal(access.errcode, 0)
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  t.equal(await exited, 0)
})

// Started at once so that it runs while the first test does.
const badPort = spawn(process.execPath, ['--import', 'tsx', cli], {
  env: childEnv({ FEISHU_SIM_PORT: 'http' }),
  stdio: ['ignore', 'pipe', 'pipe'],
})
let badPortErrors = ''
badPort.stderr.setEncoding('utf8')
badPort.stderr.on('data', (chunk: string) => {
  badPortErrors += chunk
})
const badPortExit = new Promise<number | null>((resolve) => badPort.once('exit', resolve))

t.test('a bad port is refused', async (t) => {
  t.equal(await badPortExit, 1)
  t.match(badPortErrors, 'FEISHU_SIM_PORT must be a port number (0..65535), got "http"')
})
