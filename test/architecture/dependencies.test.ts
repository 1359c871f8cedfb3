// The folder rules of .dependency-cruiser.cjs hold for src/: the layers import only downwards, the domain's
// queries reach vendors through their port, the app starts no simulator, no cycle. Run through
// dependency-cruiser's API so that `npm test` checks them; a fixture tree proves each rule bites.
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

t.test('every rule catches what it forbids', async (t) => {
  // A fixture tree that breaks each rule at least once (test/architecture/fixture/src).
  const found = await violations(['test/architecture/fixture/src'])
  const broken = new Set(found.map((line) => line.split(':')[0]))
  const rules = (configuration.forbidden ?? []).map((rule) => rule.name)
  t.same(
    rules.filter((rule) => !broken.has(rule)),
    [],
    `each of the ${rules.length} rules is broken by the fixture and caught`,
  )
  t.ok(
    found.includes(
      'queries-import-no-vendor: test/architecture/fixture/src/domain/attendance/query.ts → test/architecture/fixture/src/vendors/feishu/vendor.ts',
    ),
    'the query reaching a vendor is refused',
  )
})
