// .dependency-cruiser.cjs (cli-is-an-http-client) keeps src/cli out of the service's folders but for
// src/schemas. This adds that what it takes from there is types only: a value import would load TypeBox
// and the schema modules whenever the command runs, and is the first step to sharing code with the service.
import { cruise } from 'dependency-cruiser'
import t from 'tap'

const rules = [
  {
    name: 'cli-imports-schema-types-only',
    severity: 'error' as const,
    from: { path: '^src/cli/' },
    to: { path: '^src/schemas/', dependencyTypesNot: ['type-only' as const] },
  },
]

async function violations(paths: string[]) {
  const result = await cruise(paths, {
    ruleSet: { forbidden: rules },
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    validate: true,
  })
  if (typeof result.output === 'string') throw new Error('expected a structured result')
  return result.output.summary.violations.map(({ rule, from, to }) => `${rule.name}: ${from} → ${to}`)
}

t.test('src/cli imports only types from src/schemas', async (t) => {
  const found = await violations(['src/cli'])
  t.same(found, [])
})

t.test('the CLI does import schema types, so the rule has something to check', async (t) => {
  const result = await cruise(['src/cli'], {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  })
  if (typeof result.output === 'string') throw new Error('expected a structured result')
  const schemaImports = result.output.modules
    .filter((module) => module.source.startsWith('src/cli/'))
    .flatMap((module) => module.dependencies.filter((dep) => dep.resolved.startsWith('src/schemas/')))
  t.ok(schemaImports.length > 0)
  t.ok(schemaImports.every((dep) => dep.dependencyTypes.includes('type-only')))
})
