import { readFile } from 'node:fs/promises'
import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { buildTestApp } from '../helpers/test-app.js'

t.test(
  'the committed openapi/openapi.json is what the app serves (run `npm run openapi` after a change)',
  async (t) => {
    const { app } = await buildTestApp(t)
    const served = (await app.inject('/docs/json')).json()
    const committed = JSON.parse(
      await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'),
    )
    t.same(committed, served)
  },
)

t.test('it validates as OpenAPI 3.1 and documents the contract', async (t) => {
  const { app } = await buildTestApp(t)
  const document = (await app.inject('/docs/json')).json()
  await t.resolves(SwaggerParser.validate(structuredClone(document)))
  t.equal(document.openapi, '3.1.0')
  const get = document.paths['/attendance/results'].get
  const post = document.paths['/attendance/results'].post
  t.ok(get && post)
  t.same(get.parameters.map((parameter: { name: string }) => parameter.name).sort(), [
    'bom',
    'format',
    'from',
    'includeRaw',
    'maxAge',
    'overtime',
    'strict',
    'to',
    'users',
  ])
  t.match(post.description, /a query here, not a create/)
  // No 413 or 415: a GET's body is never read. 431: its URL can be too long. `default`: anything else.
  t.same(Object.keys(get.responses).sort(), [
    '200',
    '400',
    '401',
    '403',
    '405',
    '406',
    '429',
    '431',
    '502',
    '503',
    'default',
  ])
  t.same(Object.keys(post.responses).sort(), [
    '200',
    '400',
    '401',
    '403',
    '405',
    '406',
    '413',
    '415',
    '429',
    '431',
    '502',
    '503',
    'default',
  ])
  t.same(
    Object.keys(get.responses['200'].content).sort(),
    [
      'application/json',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/x-ndjson',
      'text/csv',
    ],
    'the answer is documented in each format',
  )
  const ok = get.responses['200'].content['application/json']
  t.match(ok.example, { complete: true, results: Array }, 'the answer has an example')
  t.match(post.requestBody.content['application/json'].example, { users: Array }, 'the body has an example')

  // Every field of the answer carries a description.
  const undescribed: string[] = []
  const walk = (schema: Record<string, unknown>, path: string) => {
    const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>
    for (const [name, property] of Object.entries(properties)) {
      if (!property.description) undescribed.push(`${path}.${name}`)
      walk(property, `${path}.${name}`)
    }
    for (const key of ['items', 'anyOf'] as const) {
      const inner = schema[key]
      for (const item of Array.isArray(inner) ? inner : inner ? [inner] : [])
        walk(item as Record<string, unknown>, path)
    }
  }
  walk(ok.schema, 'response')
  t.same(undescribed, [], 'no field without a description')

  const result = JSON.stringify(ok.schema)
  for (const mapping of [
    '`SeriousLate`',
    '`Absenteeism`',
    '`NotSigned`',
    '`NoNeedCheck`',
    '`Lack`',
    '`Todo`',
    '`SystemCheck`',
  ]) {
    t.ok(result.includes(mapping), `the result enum documents ${mapping}`)
  }
})

t.test('Swagger UI is served at /docs', async (t) => {
  const { app } = await buildTestApp(t)
  const page = await app.inject('/docs/')
  t.equal(page.statusCode, 200)
  t.match(page.body, /swagger-ui/i)
})
