// The folder rules of .dependency-cruiser.cjs hold for src/: no cycle, the domain imports no vendor, the
// app imports no simulator. Run through dependency-cruiser's API so that `npm test` checks them.
import { createRequire } from 'node:module'
import { cruise, type IConfiguration } from 'dependency-cruiser'
import t from 'tap'

const require = createRequire(import.meta.url)
const configuration = require('../../.dependency-cruiser.cjs') as IConfiguration

async function violations(paths: string[]) {
  const result = await cruise(paths, {
    ruleSet: { forbidden: configuration.forbidden ?? [] },
    ...configuration.options,
    validate: true,
  })
  if (typeof result.output === 'string') throw new Error('expected a structured result')
  return result.output.summary.violations.map(({ rule, from, to }) => `${rule.name}: ${from} → ${to}`)
}

t.test('src/ keeps its folder rules', async (t) => {
  t.same(await violations(['src']), [])
})

t.test('the rules do catch what they forbid', async (t) => {
  // A fixture tree that breaks each rule once: the domain importing a vendor, the app importing a
  // simulator, and a cycle between two modules.
  const found = await violations(['test/architecture/fixture/src'])
  t.ok(
    found.some((line) => line.startsWith('domain-imports-no-edge')),
    'attendance → vendors is refused',
  )
  t.ok(
    found.some((line) => line.startsWith('app-imports-no-simulator')),
    'app → simulators is refused',
  )
  t.ok(
    found.some((line) => line.startsWith('no-cycle')),
    'a cycle is refused',
  )
  t.ok(
    found.some((line) => line.startsWith('formats-and-exports-import-no-app')),
    'exports → routes is refused',
  )
  t.ok(
    found.some((line) => line.startsWith('cli-is-an-http-client')),
    'cli → exports is refused',
  )
})
