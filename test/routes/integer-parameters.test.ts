// An integer query parameter takes what its schema takes and nothing else. A URL carries text, so the
// service converts it; the conversion must not turn `1.5` into 1, `0x10` into 16 or an empty value into 0
// (the same `1.5` in a JSON body is a 400). Every integer query parameter of every operation in the
// document is tried, so a new one cannot be left out.
import t from 'tap'
import { buildTestApp } from '../helpers/test-app.js'

/** A request each operation answers 200, to which the parameter under test is added. */
const BASE_URLS: Record<string, string> = {
  '/attendance/results': '/attendance/results?from=2024-05-06&to=2024-05-06&users=feishu:u1',
  '/attendance/plan': '/attendance/plan?from=2024-05-06&to=2024-05-06&users=feishu:u1',
  '/attendance/summaries': '/attendance/summaries?from=2024-05-06&to=2024-05-06&users=feishu:u1',
  '/attendance/changes': '/attendance/changes?source=feishu',
}

// Text that is not a plain decimal integer, whatever JavaScript's Number() makes of it.
const NOT_INTEGERS = [
  '1.5',
  '-0.5',
  '2.0',
  '0x10',
  '0b11',
  '0o7',
  '1e3',
  '',
  ' 5',
  '5 ',
  '+5',
  '05',
  'Infinity',
]

interface IntegerParameter {
  path: string
  name: string
  minimum: number
  maximum: number
}

async function integerQueryParameters(inject: (url: string) => Promise<{ json(): unknown }>) {
  const document = (await inject('/docs/json')).json() as {
    paths: Record<
      string,
      Record<string, { parameters?: { in: string; name: string; schema: Record<string, number | string> }[] }>
    >
  }
  const found: IntegerParameter[] = []
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const operation of Object.values(operations)) {
      for (const parameter of operation.parameters ?? []) {
        const { type, minimum, maximum } = parameter.schema
        if (parameter.in !== 'query' || type !== 'integer') continue
        if (found.some((known) => known.path === path && known.name === parameter.name)) continue
        found.push({ path, name: parameter.name, minimum: Number(minimum), maximum: Number(maximum) })
      }
    }
  }
  return found
}

t.test('every integer query parameter refuses what is not a whole number in its range', async (t) => {
  const { app } = await buildTestApp(t)
  const parameters = await integerQueryParameters((url) => app.inject(url))
  t.same(
    parameters.map(({ path, name }) => `${path} ${name}`).sort(),
    [
      '/attendance/changes limit',
      '/attendance/plan maxAge',
      '/attendance/results maxAge',
      '/attendance/summaries maxAge',
    ],
    'the integer query parameters of the document',
  )
  for (const { path, name, minimum, maximum } of parameters) {
    const base = BASE_URLS[path]
    t.ok(base, `${path} has a base request in this test`)
    if (!base) continue
    const refused = [...NOT_INTEGERS, String(minimum - 1), String(maximum + 1), `${maximum}.9`]
    for (const text of refused) {
      const response = await app.inject(`${base}&${name}=${encodeURIComponent(text)}`)
      t.equal(response.statusCode, 400, `${path} ${name}=${JSON.stringify(text)}`)
      t.match(
        response.json(),
        {
          statusCode: 400,
          code: 'FST_ERR_VALIDATION',
          error: 'Bad Request',
          message: new RegExp(`querystring/${name} must`),
        },
        `${path} ${name}=${JSON.stringify(text)}: the message names the parameter`,
      )
    }
    for (const text of [String(minimum), String(maximum), '10', '-0']) {
      if (text === '-0' && minimum > 0) continue
      const response = await app.inject(`${base}&${name}=${text}`)
      t.equal(response.statusCode, 200, `${path} ${name}=${text} is taken`)
    }
  }
})

t.test('the value taken is the number written', async (t) => {
  const { app } = await buildTestApp(t)
  // limit=1 of a feed with two changes: one change, and a cursor to the second.
  const feed = app.events.feed
  await feed.record(
    'feishu',
    [
      { userId: 'u1', workDate: '2024-05-06' },
      { userId: 'u2', workDate: '2024-05-06' },
    ],
    'event',
  )
  const one = await app.inject('/attendance/changes?source=feishu&limit=1')
  t.equal(one.statusCode, 200)
  t.equal(one.json().changes.length, 1, 'limit=1: one change')
  const two = await app.inject('/attendance/changes?source=feishu&limit=2')
  t.equal(two.json().changes.length, 2, 'limit=2: two changes')
})
