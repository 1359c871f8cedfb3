// `npm test` runs the suite in parts (scripts/test-parts.mjs): every test file in exactly one part, each
// part runnable alone through its npm script.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('../../', import.meta.url))
const script = join(root, 'scripts/test-parts.mjs')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

/** This process' environment without tap's own settings, so that the nested tap runs as at a terminal. */
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^_?TAP/i.test(name)))

function parts(...args: string[]) {
  return spawnSync(process.execPath, [script, ...args], { cwd: root, env, encoding: 'utf8', timeout: 60_000 })
}

const listed = JSON.parse(parts('--list').stdout) as Record<string, string[]>

t.test('every test file is in exactly one part', async (t) => {
  const onDisk = readdirSync(join(root, 'test'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort()
  t.same(Object.keys(listed), ['unit', 'integration', 'packaging'])
  const all = Object.values(listed).flat()
  t.same([...all].sort(), onDisk, 'all of them, none twice')
  t.equal(new Set(all).size, all.length)
})

t.test('the folders go where their kind of test runs', async (t) => {
  const partOf = (file: string) => Object.keys(listed).find((name) => listed[name]?.includes(file))
  t.equal(partOf('test/attendance/plan.test.ts'), 'unit')
  t.equal(partOf('test/vendors/feishu/normalize.test.ts'), 'unit')
  t.equal(partOf('test/integration/rate-limits.test.ts'), 'integration')
  t.equal(partOf('test/integration/faults.test.ts'), 'integration')
  t.equal(partOf('test/simulators/faults.test.ts'), 'integration')
  t.equal(partOf('test/packaging/production.test.ts'), 'packaging')
  t.equal(partOf('test/browser/swagger-ui.test.ts'), 'packaging')
  t.equal(partOf('test/scripts/test-parts.test.ts'), 'packaging')
  for (const file of listed.integration ?? [])
    t.match(file, /^test\/(integration|faults|simulators|store|server)\//, `${file} is timed, so serial`)
})

t.test('npm test runs every part after lint and the type check; each part has a script', async (t) => {
  t.equal(pkg.scripts.pretest, 'npm run lint && npm run typecheck')
  t.equal(pkg.scripts.test, 'node scripts/with-redis.mjs node scripts/test-parts.mjs')
  for (const name of Object.keys(listed))
    t.equal(pkg.scripts[`test:${name}`], `node scripts/with-redis.mjs node scripts/test-parts.mjs ${name}`)
})

t.test('a wrong part or path stops before any test runs', async (t) => {
  const unknown = parts('unti')
  t.equal(unknown.status, 2)
  t.match(unknown.stderr, 'unknown part unti; the parts are unit, integration, packaging')
  const missing = parts('test/nowhere')
  t.equal(missing.status, 2)
  t.match(missing.stderr, 'no test file at test/nowhere')
  const elsewhere = parts('unit', 'test/faults')
  t.equal(elsewhere.status, 2)
  t.match(elsewhere.stderr, 'none of test/faults is in part unit')
})

t.test('a part runs its files through tap and reports its time and counts', async (t) => {
  const run = parts('packaging', 'test/scripts/with-redis.test.ts')
  t.equal(run.status, 0, run.stderr)
  t.match(run.stdout, /^# part packaging \(1 files, 1 at a time\)/m)
  t.match(run.stdout, /^ok 1 - test\/scripts\/with-redis\.test\.ts/m)
  t.match(run.stdout, /^# {3}packaging +1 files +\d+\.\d s {2}passed$/m)
  const total = /^# \{ total: (\d+), pass: (\d+) \}$/m.exec(run.stdout)
  t.ok(total, "tap's own summary")
  t.equal(total?.[1], total?.[2], 'all passed')
  // The closing line CI reads, with tap's count.
  t.match(run.stdout, new RegExp(`^assertions: ${total?.[2]} passed, 0 failed$`, 'm'))
})

t.test(
  'a run prints how many answers the OpenAPI hook of the test helpers held against the document',
  async (t) => {
    const run = parts('unit', 'test/routes/operations.test.ts')
    t.equal(run.status, 0, run.stderr)
    const line =
      /^# openapi hook: (\d+) answers held against the document, (\d+) mismatched, (\d+) outside it$/m.exec(
        run.stdout,
      )
    t.ok(line, 'the line, before the closing lines')
    t.ok(Number(line?.[1]) > 0, `${line?.[1]} answers of test/routes/operations.test.ts`)
    t.equal(line?.[2], '0')
    t.ok(run.stdout.indexOf(line?.[0] ?? '') < run.stdout.indexOf('# parts:'))
  },
)
