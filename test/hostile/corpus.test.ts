// Replays corpus.json: hostile requests that once broke the service (or would hurt most if they did), each
// with the answer it must get. Every answer also passes the checks every hostile request must pass (see
// problemsWith): no 5xx, no hang, the error shape, no vendor call unless 200; and no prototype changes.
// To add a case: paste the request of a fuzz counterexample into corpus.json with the status it should get.
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import {
  type Answer,
  type Expectation,
  type HostileRequest,
  type Parts,
  problemsWith,
  prototypeSnapshot,
  send,
  sendRaw,
  textOf,
  vendorCallCounter,
} from '../helpers/hostile.js'
import { buildTestApp } from '../helpers/test-app.js'

interface Entry extends Partial<HostileRequest> {
  name: string
  why: string
  /** A whole request written to a real socket, one byte per character (latin1). */
  socket?: string | Parts
  expect: Expectation
  /** A known defect still open: the entry runs, its failures are reported but do not fail the suite. */
  todo?: string
}

const corpus = JSON.parse(readFileSync(new URL('./corpus.json', import.meta.url), 'utf8')) as {
  entries: Entry[]
}

t.test('every corpus entry is well-formed', async (t) => {
  const names = corpus.entries.map((entry) => entry.name)
  t.same(
    names.filter((name, index) => names.indexOf(name) !== index),
    [],
    'names are unique',
  )
  t.same(
    corpus.entries
      .filter(
        (entry) =>
          !(entry.socket !== undefined || (entry.method && entry.url)) ||
          !(typeof entry.expect?.status === 'number' || /^[24]xx$/.test(String(entry.expect?.status))),
      )
      .map((entry) => entry.name),
    [],
    'each has a request and an expected status',
  )
})

t.test('corpus replay', async (t) => {
  const { app, logs } = await buildTestApp(t)
  const vendorCalls = vendorCallCounter(logs)
  const baseline = prototypeSnapshot()
  const needsSocket = corpus.entries.some((entry) => entry.socket !== undefined)
  if (needsSocket) await app.listen({ port: 0, host: '127.0.0.1' })
  const port = needsSocket ? (app.server.address() as AddressInfo).port : 0

  for (const entry of corpus.entries) {
    const answer: Answer =
      entry.socket !== undefined
        ? await sendRaw(port, Buffer.from(textOf(entry.socket), 'latin1'))
        : await send(app, entry as Entry & HostileRequest)
    await new Promise(setImmediate)
    const problems = problemsWith(answer, vendorCalls(), entry.expect)
    const diagnostics = { why: entry.why, answer: answer.raw.toString('utf8').slice(0, 300) }
    if (entry.todo) {
      // The status must already be right; only what the todo names may still be wrong.
      t.equal(answer.statusCode, entry.expect.status, `${entry.name}: status`)
      t.same(problems, [], entry.name, { ...diagnostics, todo: entry.todo })
    } else {
      t.same(problems, [], entry.name, diagnostics)
    }
  }
  t.equal(prototypeSnapshot(), baseline, 'no prototype changed')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'nothing polluted')
})
