// Error messages that echo what the client sent (a user id, a source id, the Accept header) carry its
// control characters (C0, DEL, C1), bidirectional controls (U+202E turns the rest of a line around in a
// terminal or a log viewer) and line separators escaped as \uXXXX text, never raw: whoever shows the message
// sees what was sent, not what it does.
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp } from '../helpers/test-app.js'

/** Every character that must never reach a client raw in an error message. */
const UNSAFE = [
  ...Array.from({ length: 0x20 }, (_, code) => code),
  ...Array.from({ length: 0x21 }, (_, offset) => 0x7f + offset),
  0x061c,
  0x200e,
  0x200f,
  0x202a,
  0x202b,
  0x202c,
  0x202d,
  0x202e,
  0x2066,
  0x2067,
  0x2068,
  0x2069,
  0x2028,
  0x2029,
].map((code) => String.fromCharCode(code))
const escaped = (char: string) => `\\u${(char.codePointAt(0) as number).toString(16).padStart(4, '0')}`
const rawUnsafe = (text: string) => UNSAFE.filter((char) => text.includes(char)).map(escaped)

type App = Awaited<ReturnType<typeof buildTestApp>>['app']

async function errorMessage(
  app: App,
  payload: object,
): Promise<{ status: number; code: string; message: string }> {
  const response = await app.inject({ method: 'POST', url: '/attendance/results', payload })
  const body = response.json<{ code: string; message: string }>()
  return { status: response.statusCode, code: body.code, message: body.message }
}

t.test('a user id and a source id: each unsafe character comes back as its escape', async (t) => {
  const { app } = await buildTestApp(t)
  const base = { from: '2024-05-06', to: '2024-05-10' }
  for (const char of UNSAFE) {
    const user = await errorMessage(app, { ...base, users: [`feishu:ab${char}cd`] })
    t.equal(user.code, 'ATT_MALFORMED_USER')
    t.ok(user.message.includes(`ab${escaped(char)}cd`), `user id with ${escaped(char)}: ${user.message}`)
    t.same(rawUnsafe(user.message), [], `no raw ${escaped(char)} in the user-id message`)

    const source = await errorMessage(app, { ...base, users: [`fei${char}shu:u1`] })
    t.equal(source.code, 'ATT_UNKNOWN_SOURCE')
    t.ok(source.message.includes(`fei${escaped(char)}shu`), `source id with ${escaped(char)}`)
    t.same(rawUnsafe(source.message), [], `no raw ${escaped(char)} in the source-id message`)
  }
})

t.test('a GET user list: the right-to-left override is escaped, the text around it kept', async (t) => {
  const { app } = await buildTestApp(t)
  const users = encodeURIComponent('feishu:evil\u202Etxt.exe')
  const response = await app.inject(`/attendance/results?from=2024-05-06&to=2024-05-10&users=${users}`)
  const body = response.json<{ code: string; message: string }>()
  t.equal(response.statusCode, 400)
  t.equal(body.code, 'ATT_MALFORMED_USER')
  t.ok(body.message.includes('feishu:evil\\u202etxt.exe'), body.message)
  t.same(rawUnsafe(body.message), [])
})

t.test('a source id in the path, percent-encoded: decoded, then escaped in the message', async (t) => {
  const { app } = await buildTestApp(t)
  const sourceId = encodeURIComponent('feis\u202Ehu\u2028\u0085')
  const response = await app.inject({ method: 'POST', url: `/events/feishu/${sourceId}`, payload: {} })
  const body = response.json<{ code: string; message: string }>()
  t.equal(response.statusCode, 404)
  t.equal(body.code, 'ATT_EVENTS_NOT_ENABLED')
  t.ok(body.message.includes('"feis\\u202ehu\\u2028\\u0085"'), body.message)
  t.same(rawUnsafe(body.message), [])
})

t.test('an echoed header, sent over HTTP as raw bytes: the controls it becomes are escaped', async (t) => {
  const { app } = await buildTestApp(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  // U+202E as UTF-8 (E2 80 AE) after a tab: Node reads header bytes as Latin-1, so the override arrives as
  // "â", the C1 control U+0080 and "®".
  const accept = Buffer.concat([Buffer.from('text/html;\tx='), Buffer.from('\u202E', 'utf8')])
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, path: '/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1' },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        )
      },
    )
    request.on('error', reject)
    request.setHeader('accept', accept.toString('latin1'))
    request.end()
  })
  t.equal(answer.status, 406)
  const body = JSON.parse(answer.body) as { code: string; message: string }
  t.equal(body.code, 'ATT_NOT_ACCEPTABLE')
  t.ok(body.message.includes('text/html;\\u0009x=â\\u0080®'), body.message)
  t.same(rawUnsafe(body.message), [])
})

t.test('text without unsafe characters is left as it is', async (t) => {
  const { app } = await buildTestApp(t)
  const answer = await errorMessage(app, {
    from: '2024-05-06',
    to: '2024-05-10',
    users: ['wécom:用户 \\u202e "quoted"'],
  })
  t.equal(answer.code, 'ATT_UNKNOWN_SOURCE')
  t.ok(answer.message.includes('source "wécom" is not configured'), answer.message)
})
