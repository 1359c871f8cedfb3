// The OpenAPI document says what the server does, checked against the server: each status it lists for
// the refusals every route shares (load shedding, the body parser, path parameters) is one the route gives,
// and the other way round; the headers it names are on the answers; the JSON file of an export is the
// answer it documents; everything always present is required; the body examples are requests the server
// takes; the summaries' range rule is in the schema; every operation is named, tagged and secured.
import { Ajv2020 } from 'ajv/dist/2020.js'
import t, { type Test } from 'tap'
import { apiKey, bearer } from '../helpers/api-keys.js'
import { buildTestApp, testConfig } from '../helpers/test-app.js'

type Schema = Record<string, unknown>
interface Header {
  required?: boolean
  schema?: Schema
}
interface Answer {
  description: string
  headers?: Record<string, Header>
  content?: Record<
    string,
    { schema?: Schema; example?: unknown; examples?: Record<string, { value: unknown }> }
  >
}
interface Parameter {
  name: string
  in: string
  description?: string
  schema: Schema
}
interface Operation {
  operationId?: string
  tags?: string[]
  security?: unknown[]
  parameters?: Parameter[]
  requestBody?: {
    content: Record<
      string,
      { schema: Schema; example?: unknown; examples?: Record<string, { value: unknown }> }
    >
  }
  responses: Record<string, Answer>
}
interface Document {
  servers?: { url: string }[]
  tags: { name: string }[]
  'x-tagGroups': { name: string; tags: string[] }[]
  paths: Record<string, Record<string, Operation>>
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete']
/** The routes load shedding lets through (plugins/load-shedding.ts). */
const ALWAYS_ANSWERED = ['/healthz', '/readyz']
const KEY = 'openapi-document-key-5c2b'

async function documentOf(app: { inject(url: string): Promise<{ json(): unknown }> }): Promise<Document> {
  return (await app.inject('/docs/json')).json() as Document
}

function operationsOf(document: Document): { path: string; method: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ path, method, operation })),
  )
}

/** A URL the route matches: path parameters filled in with values the demo app knows. */
function urlOf(path: string): string {
  return path.replace('{id}', 'no-such-job').replace('{sourceId}', 'feishu')
}

const name = (method: string, path: string) => `${method.toUpperCase()} ${path}`

/** Ajv for OpenAPI 3.1 schemas (JSON Schema 2020-12; `example` and the like are annotations). */
function compile(schema: Schema) {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/)
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/)
  ajv.addFormat('binary', true)
  return ajv.compile(schema)
}

function validate(t: Test, schema: Schema, value: unknown, what: string) {
  const check = compile(schema)
  t.ok(check(value), `${what}: ${JSON.stringify(check.errors?.slice(0, 3))}`)
}

t.test(
  'every operation has an operationId, a declared tag in a group, and its security stated',
  async (t) => {
    const { app } = await buildTestApp(t)
    const document = await documentOf(app)
    t.same(document.servers, [
      {
        url: '/',
        description: String(
          document.servers?.[0] && (document.servers[0] as { description?: string }).description,
        ),
      },
    ])
    const declared = document.tags.map((tag) => tag.name).sort()
    t.same(
      document['x-tagGroups'].flatMap((group) => group.tags).sort(),
      declared,
      'every tag is in exactly one group',
    )
    const ids = new Set<string>()
    for (const { path, method, operation } of operationsOf(document)) {
      const what = name(method, path)
      t.match(operation.operationId, /^[a-z][A-Za-z]+$/, `${what}: operationId`)
      t.notOk(ids.has(operation.operationId as string), `${what}: its operationId is its own`)
      ids.add(operation.operationId as string)
      t.equal(operation.tags?.length, 1, `${what}: one tag`)
      t.ok(declared.includes(operation.tags?.[0] as string), `${what}: a declared tag`)
      const isPublic = ALWAYS_ANSWERED.includes(path) || path.startsWith('/events/')
      t.same(operation.security, isPublic ? [] : [{ apiKey: [] }], `${what}: security`)
    }
    t.equal(ids.size, 18)
  },
)

t.test('application/json comes first, and every other media type is described', async (t) => {
  const { app } = await buildTestApp(t)
  for (const { path, method, operation } of operationsOf(await documentOf(app))) {
    const contents = [
      ...(operation.requestBody ? [['body', operation.requestBody.content] as const] : []),
      ...Object.entries(operation.responses).map(
        ([status, answer]) => [status, answer.content ?? {}] as const,
      ),
    ]
    for (const [where, content] of contents) {
      const types = Object.keys(content)
      const what = `${name(method, path)} ${where}`
      if (types.length === 0) continue
      t.equal(types[0], 'application/json', `${what}: JSON first`)
      t.ok(
        types.every((type) => !type.includes(';')),
        `${what}: media types without parameters, as generators match them`,
      )
      for (const type of types.slice(1)) {
        t.match(content[type]?.schema, { description: /\S/ }, `${what} ${type}: described`)
      }
    }
  }
})

t.test('every route behind load shedding documents its 503 ATT_OVERLOADED, with Retry-After', async (t) => {
  // The document of a replica at ease (one under pressure sheds /docs/json too).
  const document = await documentOf((await buildTestApp(t)).app)
  const { pressure } = testConfig()
  // A heap bound no process stays under: the first memory sample puts the replica under pressure.
  const { app } = await buildTestApp(t, { pressure: { ...pressure, maxHeapUsedBytes: 1 } })
  for (let i = 0; i < 500 && !app.isUnderPressure(); i++)
    await new Promise((resolve) => setTimeout(resolve, 10))
  t.ok(app.isUnderPressure(), 'under pressure')
  for (const { path, method, operation } of operationsOf(document)) {
    const what = name(method, path)
    const answer = await app.inject({ method: method.toUpperCase() as 'GET', url: urlOf(path) })
    if (ALWAYS_ANSWERED.includes(path)) {
      t.not(answer.json().code, 'ATT_OVERLOADED', `${what}: answered under pressure`)
      continue
    }
    t.equal(answer.statusCode, 503, `${what}: shed`)
    t.equal(answer.json().code, 'ATT_OVERLOADED', what)
    t.equal(answer.headers['retry-after'], String(pressure.retryAfterSeconds), `${what}: Retry-After`)
    const documented = operation.responses['503']
    t.match(documented?.description, /ATT_OVERLOADED/, `${what}: documented`)
    t.match(documented?.headers?.['Retry-After'], { required: true }, `${what}: Retry-After documented`)
  }
})

t.test('413 and 415 are documented exactly where the body parser gives them', async (t) => {
  const { app } = await buildTestApp(t)
  for (const { path, method, operation } of operationsOf(await documentOf(app))) {
    const what = name(method, path)
    const request = { method: method.toUpperCase() as 'GET', url: urlOf(path) }
    const text = await app.inject({ ...request, headers: { 'content-type': 'text/xml' }, payload: '<a/>' })
    const large = await app.inject({
      ...request,
      headers: { 'content-type': 'application/json' },
      payload: `{"a":"${'x'.repeat(1_100_000)}"}`,
    })
    t.equal(text.statusCode === 415, '415' in operation.responses, `${what}: 415 (got ${text.statusCode})`)
    t.equal(large.statusCode === 413, '413' in operation.responses, `${what}: 413 (got ${large.statusCode})`)
    if (text.statusCode === 415) t.equal(text.json().code, 'FST_ERR_CTP_INVALID_MEDIA_TYPE', what)
    if (large.statusCode === 413) t.equal(large.json().code, 'FST_ERR_CTP_BODY_TOO_LARGE', what)
  }
})

t.test('a path parameter past its maxLength gets the documented 400', async (t) => {
  const { app } = await buildTestApp(t)
  let checked = 0
  for (const { path, method, operation } of operationsOf(await documentOf(app))) {
    for (const parameter of operation.parameters?.filter((p) => p.in === 'path') ?? []) {
      const maxLength = parameter.schema.maxLength as number
      t.ok(maxLength > 0, `${name(method, path)}: {${parameter.name}} has a maxLength`)
      const url = path.replace(`{${parameter.name}}`, 'a'.repeat(maxLength + 1))
      const answer = await app.inject({
        method: method.toUpperCase() as 'GET',
        url,
        ...(operation.requestBody ? { payload: {} } : {}),
      })
      t.equal(answer.statusCode, 400, `${name(method, path)}: ${answer.body}`)
      t.equal(answer.json().code, 'FST_ERR_VALIDATION')
      t.ok('400' in operation.responses, `${name(method, path)}: 400 documented`)
      checked++
    }
  }
  t.equal(checked, 5, 'the three routes of an export, the two webhooks')
})

t.test('everything always present is required', async (t) => {
  const { app } = await buildTestApp(t)
  const document = await documentOf(app)
  // Object properties a response schema leaves optional, wherever they are.
  const optional = new Set<string>()
  const walk = (schema: unknown) => {
    if (!schema || typeof schema !== 'object') return
    const node = schema as Schema
    const properties = (node.properties ?? {}) as Record<string, unknown>
    const required = (node.required ?? []) as string[]
    for (const property of Object.keys(properties)) {
      if (!required.includes(property)) optional.add(`${String(node.title ?? '?')}.${property}`)
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) value.forEach(walk)
      else walk(value)
    }
  }
  for (const { operation } of operationsOf(document)) {
    for (const answer of Object.values(operation.responses)) {
      for (const media of Object.values(answer.content ?? {})) walk(media.schema)
    }
  }
  t.same(
    [...optional].sort(),
    ['DayResult.raw', 'FeishuEventAnswer.challenge', 'SummariesResponse.people'],
    'only what some answers lack: raw rows (includeRaw), people (groupBy), the challenge (URL verification)',
  )

  // A real answer validates against the document, fetchedAt and person included.
  const answer = await app.inject(
    '/attendance/results?from=2024-05-06&to=2024-05-07&users=feishu:u1,dingtalk:d1',
  )
  t.equal(answer.statusCode, 200)
  const schema =
    document.paths['/attendance/results']?.get?.responses['200']?.content?.['application/json']?.schema
  validate(t, schema as Schema, answer.json(), 'GET /attendance/results')
  t.ok(answer.json().results.length > 0)
})

t.test("a JSON export's file is the answer the document gives; Location, ETag, Repr-Digest", async (t) => {
  const { app } = await buildTestApp(t, { apiKeys: [apiKey('payroll', KEY)] })
  const document = await documentOf(app)
  const created = await app.inject({
    method: 'POST',
    url: '/attendance/exports',
    headers: bearer(KEY),
    payload: { from: '2024-05-06', to: '2024-05-07', users: ['feishu:u1', 'dingtalk:d1'], format: 'json' },
  })
  t.equal(created.statusCode, 202, created.body)
  const create = document.paths['/attendance/exports']?.post as Operation
  t.match(create.responses['202']?.headers?.Location, { required: true })
  const location = created.headers.location as string
  t.match(location, /^\/attendance\/exports\//)

  let job = (await app.inject({ url: location, headers: bearer(KEY) })).json()
  for (let i = 0; i < 500 && job.status !== 'succeeded' && job.status !== 'failed'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    job = (await app.inject({ url: location, headers: bearer(KEY) })).json()
  }
  t.equal(job.status, 'succeeded')
  const file = await app.inject({ url: `${location}/file`, headers: bearer(KEY) })
  t.equal(file.statusCode, 200)
  t.match(file.headers['content-type'], /^application\/json/)
  const documented = document.paths['/attendance/exports/{id}/file']?.get?.responses['200'] as Answer
  const json = documented.content?.['application/json']?.schema as Schema
  t.notMatch(json, { type: 'string' }, 'not a binary string')
  validate(t, json, file.json(), 'the JSON file')
  t.ok(file.json().results.length > 0, 'with its days')
  for (const header of ['Content-Disposition', 'ETag', 'Repr-Digest']) {
    t.match(documented.headers?.[header], { required: true }, `${header} documented`)
    t.ok(file.headers[header.toLowerCase()], `${header} sent`)
  }
})

t.test('the headers the document names on 401, 429 and 503 are on those answers', async (t) => {
  const { app } = await buildTestApp(t, { apiKeys: [apiKey('payroll', KEY)], rateLimitPerMinute: 1 })
  const document = await documentOf(app)
  const get = document.paths['/sources']?.get as Operation
  const unauthorized = await app.inject('/sources')
  t.equal(unauthorized.statusCode, 401)
  for (const header of Object.keys(get.responses['401']?.headers ?? {})) {
    t.ok(unauthorized.headers[header.toLowerCase()], `401 ${header}`)
  }
  t.same(Object.keys(get.responses['401']?.headers ?? {}), ['WWW-Authenticate'])
  await app.inject({ url: '/sources', headers: bearer(KEY) })
  const limited = await app.inject({ url: '/sources', headers: bearer(KEY) })
  t.equal(limited.statusCode, 429)
  const named = Object.keys(get.responses['429']?.headers ?? {})
  t.same(named, ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'])
  for (const header of named) t.ok(limited.headers[header.toLowerCase()] !== undefined, `429 ${header}`)
  t.same(Object.keys(get.responses['503']?.headers ?? {}), ['Retry-After'])
})

t.test('every request body example is a request the server takes', async (t) => {
  const { app } = await buildTestApp(t)
  let sent = 0
  for (const { path, method, operation } of operationsOf(await documentOf(app))) {
    const media = operation.requestBody?.content['application/json']
    if (!media || path.startsWith('/events/')) continue
    const examples =
      media.example !== undefined ? [media.example] : Object.values(media.examples ?? {}).map((e) => e.value)
    t.ok(examples.length > 0, `${name(method, path)}: has an example`)
    for (const example of examples) {
      validate(t, media.schema, example, `${name(method, path)} example`)
      const answer = await app.inject({
        method: method.toUpperCase() as 'POST',
        url: path,
        payload: example as object,
      })
      t.ok(
        answer.statusCode >= 200 && answer.statusCode < 300,
        `${name(method, path)}: ${answer.statusCode} ${answer.body.slice(0, 200)}`,
      )
      sent++
    }
  }
  t.equal(sent, 5, 'results, plan, an export, summaries by month and by range')
})

t.test('plan takes the fields of results and says which it ignores; users may name a person', async (t) => {
  const { app } = await buildTestApp(t)
  const document = await documentOf(app)
  const parameters = document.paths['/attendance/plan']?.get?.parameters ?? []
  for (const ignored of ['format', 'bom', 'includeRaw', 'strict']) {
    t.match(parameters.find((p) => p.name === ignored)?.description, /ignored/, `${ignored}: ignored`)
  }
  const query = '/attendance/plan?from=2024-05-06&to=2024-05-07&users=feishu:u1'
  const plain = await app.inject(query)
  const csv = await app.inject(`${query}&format=csv&bom=true&strict=true&includeRaw=true`)
  t.equal(csv.statusCode, 200)
  t.match(csv.headers['content-type'], /^application\/json/, 'the plan is JSON whatever format says')
  t.same(csv.json(), plain.json())
  for (const path of ['/attendance/results', '/attendance/plan', '/attendance/summaries']) {
    const users = document.paths[path]?.get?.parameters?.find((p) => p.name === 'users')
    t.match(users?.description, /person:<id>/, `${path}: users names people too`)
  }
})

t.test(
  'summaries: the document says month, or from and to; the server still says ATT_INVALID_RANGE',
  async (t) => {
    const { app } = await buildTestApp(t)
    const document = await documentOf(app)
    const body = document.paths['/attendance/summaries']?.post?.requestBody?.content['application/json']
      ?.schema as Schema
    const users = ['feishu:u1']
    const cases: [string, Record<string, unknown>, boolean][] = [
      ['month', { month: '2024-05', users }, true],
      ['from and to', { from: '2024-05-06', to: '2024-05-10', users }, true],
      ['month and from and to', { month: '2024-05', from: '2024-05-06', to: '2024-05-10', users }, false],
      ['month and from', { month: '2024-05', from: '2024-05-06', users }, false],
      ['neither', { users }, false],
      ['from alone', { from: '2024-05-06', users }, false],
    ]
    for (const [what, request, valid] of cases) {
      t.equal(compile(body)(request), valid, `${what}: ${valid ? 'valid' : 'invalid'} in the document`)
      const answer = await app.inject({ method: 'POST', url: '/attendance/summaries', payload: request })
      if (valid) t.equal(answer.statusCode, 200, what)
      else
        t.match(answer.json(), { statusCode: 400, code: 'ATT_INVALID_RANGE' }, `${what}: the server's words`)
    }
  },
)

t.test('every example in a content map is valid against its schema', async (t) => {
  const { app } = await buildTestApp(t)
  let checked = 0
  for (const { path, method, operation } of operationsOf(await documentOf(app))) {
    for (const [status, answer] of Object.entries(operation.responses)) {
      for (const [type, media] of Object.entries(answer.content ?? {})) {
        const examples = [
          ...(media.example === undefined ? [] : [media.example]),
          ...Object.values(media.examples ?? {}).map((e) => e.value),
        ]
        for (const example of examples) {
          validate(t, media.schema as Schema, example, `${name(method, path)} ${status} ${type}`)
          checked++
        }
      }
    }
  }
  t.ok(checked > 30, `${checked} examples`)
})

t.test("a fault of the service answers what every operation's `default` documents", async (t) => {
  const { app } = await buildTestApp(t)
  const document = await documentOf(app)
  for (const { path, method, operation } of operationsOf(document)) {
    t.match(operation.responses.default?.headers?.['X-Request-Id'], { required: true }, name(method, path))
  }
  const bug = async () => {
    throw new Error('a bug')
  }
  Object.assign(app.queryService, { run: bug, execute: bug })
  const answer = await app.inject('/attendance/results?from=2024-05-06&to=2024-05-06&users=feishu:u1')
  t.equal(answer.statusCode, 500)
  t.ok(answer.headers['x-request-id'], 'X-Request-Id sent')
  const documented = document.paths['/attendance/results']?.get?.responses.default as Answer
  validate(t, documented.content?.['application/json']?.schema as Schema, answer.json(), 'the 500')
  t.match(answer.json(), { code: 'ATT_INTERNAL' })
})
