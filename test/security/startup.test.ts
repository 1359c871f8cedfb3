// The process as an operator starts it: real vendor credentials without API keys stop it, unless
// AUTH_DISABLED=true says the open API is intended.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { LOAD_SHEDDING_OFF_ENV } from '../helpers/load-shedding-off.js'

const root = new URL('../../', import.meta.url)

async function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/service/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      ...LOAD_SHEDDING_OFF_ENV,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr += chunk.toString()
  })
  const [code] = await once(child, 'exit')
  return { code, stderr }
}

t.test('vendor credentials and no API_KEYS: configuration error, exit 1', async (t) => {
  const { code, stderr } = await start({ FEISHU_APP_ID: 'cli_x', FEISHU_APP_SECRET: 'very-secret-value' })
  t.equal(code, 1)
  t.match(
    stderr,
    /^configuration error: vendor sources are configured but API_KEYS and API_KEYS_FILE are not: set one, or AUTH_DISABLED=true to serve without authentication\n$/,
  )
  t.notMatch(stderr, /very-secret-value/)
})

t.test('a malformed API key: configuration error naming the entry, never the key', async (t) => {
  const { code, stderr } = await start({ API_KEYS: 'good-key-123,sha256:not-hex-secret' })
  t.equal(code, 1)
  t.match(stderr, /^configuration error: API_KEYS entry 2 must be sha256: followed by 64 hex digits\n$/)
  t.notMatch(stderr, /not-hex-secret|good-key-123/)
})
