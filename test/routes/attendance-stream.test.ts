// The answer streams: results are written chunk by chunk as they complete, before `complete` and
// `sources`, in the contract's order; strict answers are built whole. Both carry the same days.
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { comparableAnswer } from '../helpers/answers.js'
import { buildTestApp } from '../helpers/test-app.js'

// Named out of order, more than one chunk of 50 per source, so that the order has to be made.
const dingtalk = Array.from({ length: 120 }, (_, i) => `dingtalk:s${String(119 - i).padStart(3, '0')}`)
const feishu = Array.from({ length: 60 }, (_, i) => `feishu:s${String((i * 37) % 60).padStart(3, '0')}`)
const payload = { from: '2024-05-06', to: '2024-05-10', users: [...feishu, ...dingtalk] }

t.test(
  'a streamed answer: sorted, results before complete and sources, the same days as strict',
  async (t) => {
    const { app } = await buildTestApp(t)
    const streamed = await app.inject({ method: 'POST', url: '/attendance/results', payload })
    t.equal(streamed.statusCode, 200)
    t.match(streamed.headers['content-type'], /^application\/json/)
    const text = streamed.payload
    t.ok(text.startsWith('{"from":"2024-05-06","to":"2024-05-10","results":['), 'results come first')
    t.ok(text.indexOf('"complete":') > text.lastIndexOf('"workDate":'), 'complete comes after every day')
    const body = streamed.json<AttendanceResponse>()
    t.equal(body.complete, true)
    t.equal(body.results.length, (120 + 60) * 5)
    const keys = body.results.map((day) => `${day.source}/${day.userId}/${day.workDate}`)
    t.same(keys, [...keys].sort(), 'sorted by source, userId, workDate')

    const strict = await app.inject({
      method: 'POST',
      url: '/attendance/results',
      // maxAge=0: fetched again, not read from the cache the first query filled.
      payload: { ...payload, strict: true, maxAge: 0 },
    })
    t.equal(strict.statusCode, 200)
    t.ok(
      strict.payload.indexOf('"complete":') < strict.payload.indexOf('"results":'),
      'strict: built whole, schema order',
    )
    const whole = strict.json<AttendanceResponse>()
    t.same(
      comparableAnswer(body).results,
      comparableAnswer(whole).results,
      'the same days, in the same order',
    )
    // Not vendorCalls: on a loaded machine a call the simulator refuses for rate is retried in one run only.
    t.same(
      body.sources.map(({ source, status, missing }) => ({ source, status, missing })),
      whole.sources.map(({ source, status, missing }) => ({ source, status, missing })),
    )
  },
)

t.test('GET streams the same answer as POST', async (t) => {
  const { app } = await buildTestApp(t)
  const users = [...feishu.slice(0, 3), ...dingtalk.slice(0, 3)].join(',')
  const get = await app.inject(`/attendance/results?from=2024-05-06&to=2024-05-08&users=${users}`)
  const post = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    payload: { from: '2024-05-06', to: '2024-05-08', users: users.split(',') },
  })
  t.equal(get.statusCode, 200)
  t.same(comparableAnswer(post.json()), comparableAnswer(get.json()))
})
