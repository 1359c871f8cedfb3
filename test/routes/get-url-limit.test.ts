// A GET carries its users in the URL, and Node refuses a request whose request line and headers pass its
// header limit (431), before any route sees it. The limit is the service's own (MAX_HEADER_BYTES), the
// document says how many users a GET carries and that POST takes the long lists, and the 431 says so too,
// in the service's error shape.
import { request } from 'node:http'
import t, { type Test } from 'tap'
import { GET_USERS_ANY_IDS, MAX_HEADER_BYTES } from '../../src/schemas/attendance-query.js'
import { apiKey, bearer } from '../helpers/api-keys.js'
import { buildTestApp } from '../helpers/test-app.js'

const KEY = 'url-limit-key-6d1e2f'

interface Answer {
  status: number
  type: string | undefined
  body: string
}

/** A GET over a real socket (app.inject skips Node's HTTP parser, where the limit is). */
function get(port: number, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sent = request({ host: '127.0.0.1', port, path, headers }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
      })
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], body }),
      )
    })
    sent.on('error', reject)
    sent.end()
  })
}

/** The headers an ordinary client sends besides the request line. */
const clientHeaders = {
  ...bearer(KEY),
  accept: 'application/json',
  'user-agent': 'payroll-sync/4.2 (node)',
  'accept-encoding': 'gzip, deflate, br',
}

const query = (users: string[]) =>
  `/attendance/results?${new URLSearchParams({ from: '2024-05-06', to: '2024-05-06', users: users.join(',') })}`

async function listening(t: Test) {
  const { app } = await buildTestApp(t, { apiKeys: [apiKey('payroll', KEY)] })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, port: (app.server.address() as { port: number }).port }
}

t.test('a GET past the header limit gets a 431 that says to POST the list', async (t) => {
  const { port } = await listening(t)
  // 3,000 short ids: about 25 KB of URL.
  const users = Array.from({ length: 3000 }, (_, index) => `feishu:u${index}`)
  t.ok(query(users).length > MAX_HEADER_BYTES, 'the URL alone is past the limit')
  const refused = await get(port, query(users), clientHeaders)
  t.equal(refused.status, 431)
  t.match(refused.type, /^application\/json/)
  const body = JSON.parse(refused.body)
  t.same(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode'], "the service's error shape")
  t.match(body, {
    statusCode: 431,
    code: 'ATT_BAD_HTTP_REQUEST',
    error: 'Request Header Fields Too Large',
  })
  t.match(body.message, `${MAX_HEADER_BYTES} bytes`, 'the limit, in bytes')
  t.match(body.message, /POST/, 'the way out')
  t.match(body.message, `${GET_USERS_ANY_IDS} users`, 'what a GET carries')
})

t.test('a GET carries GET_USERS_ANY_IDS users of the longest ids the patterns allow', async (t) => {
  const { port } = await listening(t)
  t.ok(GET_USERS_ANY_IDS >= 50, `${GET_USERS_ANY_IDS} users: enough for a team`)
  // The longest source id (32) and user id (64, every character one a client percent-encodes).
  const longest = Array.from(
    { length: GET_USERS_ANY_IDS },
    (_, index) => `${String(index).padStart(32, 's')}:${'@'.repeat(64)}`,
  )
  const path = query(longest)
  const answer = await get(port, path, clientHeaders)
  // Past the HTTP parser and into the route: no source has such an id, and the route says so.
  t.equal(answer.status, 400, answer.body.slice(0, 300))
  t.match(JSON.parse(answer.body), { code: 'ATT_UNKNOWN_SOURCE' })
  // …while one more such user (or ~2 KiB more headers) would not fit: the figure is not far below the limit.
  t.ok(path.length + 230 > MAX_HEADER_BYTES - 2048, `${path.length} bytes of request line`)
})

t.test('the same long list goes through POST', async (t) => {
  const { app } = await buildTestApp(t, { apiKeys: [apiKey('payroll', KEY)] })
  const users = Array.from({ length: 3000 }, (_, index) => `feishu:u${index}`)
  const plan = await app.inject({
    method: 'POST',
    url: '/attendance/plan',
    headers: bearer(KEY),
    payload: { from: '2024-05-06', to: '2024-05-06', users },
  })
  t.equal(plan.statusCode, 200, plan.body.slice(0, 300))
  t.match(plan.json(), { sources: [{ source: 'feishu', userDays: 3000 }] })
})

t.test('the document gives the limit on each GET that takes users, and its 431', async (t) => {
  const { app } = await buildTestApp(t)
  const document = (await app.inject('/docs/json')).json()
  for (const path of ['/attendance/results', '/attendance/plan', '/attendance/summaries']) {
    const get = document.paths[path].get
    const users = get.parameters.find((parameter: { name: string }) => parameter.name === 'users')
    t.match(users.description, `at least ${GET_USERS_ANY_IDS} users`, `${path}: what a GET carries`)
    t.match(users.description, /POST/, `${path}: the way for long lists`)
    t.match(get.responses['431'], { description: /POST/ }, `${path}: the 431 is documented`)
    t.match(get.responses['431'].content['application/json'].schema, { title: 'ErrorResponse' })
  }
})
