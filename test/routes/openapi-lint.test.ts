// Two linters nobody here wrote read the OpenAPI document as a new user's tools would: Redocly CLI
// (`recommended` ruleset) and Spectral (`spectral:oas`). Both must find nothing, neither error nor
// warning, in the document the app serves. Their only configuration is redocly.yaml and .spectral.yaml
// at the root, which switch off a rule only with the reason beside it. They run here, in `npm test`,
// rather than in `npm run lint`: they read the document the app serves (built in-process), and a failure
// then shows in the same report as the tests that fix it.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { buildTestApp } from '../helpers/test-app.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const require = createRequire(import.meta.url)

/** The CLI script of a package's `bin` entry, run with this test's Node (the project's 24). */
function binOf(pkg: string, name: string): string {
  const manifest = require(`${pkg}/package.json`) as { bin: Record<string, string> }
  return join(dirname(require.resolve(`${pkg}/package.json`)), manifest.bin[name] as string)
}

/** Runs a linter; both exit non-zero when they find an error, so the output is read whatever the code. */
function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: root,
        maxBuffer: 64 * 1024 * 1024,
        // No call home: Redocly's usage data and update check are off (the npm registry is the only network
        // here, and a test must not depend on any).
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
      (error, stdout, stderr) => {
        if (stdout.trim().startsWith('{') || stdout.trim().startsWith('[')) resolve(stdout)
        else
          reject(new Error(`${args.slice(0, 2).join(' ')} printed no report: ${error?.message}\n${stderr}`))
      },
    )
  })
}

async function servedDocumentFile(t: Test): Promise<string> {
  const { app } = await buildTestApp(t)
  const document = (await app.inject('/docs/json')).json()
  const dir = await mkdtemp(join(tmpdir(), 'openapi-lint-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'openapi.json')
  await writeFile(file, JSON.stringify(document, null, 2))
  return file
}

interface RedoclyProblem {
  ruleId: string
  severity: 'error' | 'warn'
  message: string
  location: { pointer: string }[]
}

t.test('Redocly CLI (recommended) finds no error and no warning in the served document', async (t) => {
  const file = await servedDocumentFile(t)
  const report = JSON.parse(
    await run([
      binOf('@redocly/cli', 'redocly'),
      'lint',
      '--config',
      join(root, 'redocly.yaml'),
      '--format=json',
      file,
    ]),
  ) as { totals: { errors: number; warnings: number; ignored: number }; problems: RedoclyProblem[] }
  const problems = report.problems.map(
    (problem) =>
      `${problem.severity} ${problem.ruleId} at ${problem.location[0]?.pointer}: ${problem.message}`,
  )
  t.same(problems, [], 'no problem')
  t.same(report.totals, { errors: 0, warnings: 0, ignored: 0 }, 'none ignored either')
})

interface SpectralResult {
  code: string
  severity: number
  message: string
  path: string[]
}

t.test('Spectral (spectral:oas) finds no error and no warning in the served document', async (t) => {
  const file = await servedDocumentFile(t)
  const results = JSON.parse(
    await run([
      binOf('@stoplight/spectral-cli', 'spectral'),
      'lint',
      file,
      '--ruleset',
      join(root, '.spectral.yaml'),
      '--format',
      'json',
      '--quiet',
    ]),
  ) as SpectralResult[]
  // Severity 0 is an error, 1 a warning (2 and 3, information and hints, are not in the ruleset's defaults).
  const severities = ['error', 'warning', 'info', 'hint']
  t.same(
    results.map(
      (result) =>
        `${severities[result.severity]} ${result.code} at ${result.path.join('.')}: ${result.message}`,
    ),
    [],
    'no finding',
  )
})
