// DingTalk's attendance/list paging and the failures around it, against a scripted vendor over HTTP: a
// page that fails is asked again from its own offset; a hasMore that is not a boolean and a vendor that
// never stops paging are errors in the report, never a silent stop or a truncation; a spent monthly quota
// (90020) stops the source with no further call; a failing token call is one attempt of the data call.
import t, { type Test } from 'tap'
import { resolveSource } from '../../../src/config/source-config.js'
import type { AttendanceResponse } from '../../../src/schemas/attendance-query.js'
import { startReplica } from '../../helpers/integration.js'
import {
  dingTalkRow,
  dingTalkToken,
  type Script,
  startScriptedVendor,
} from '../../helpers/scripted-vendor.js'

const LIST = '/attendance/list'

async function query(t: Test, script: Script, users: string[], overrides: { maxConcurrency?: number } = {}) {
  const vendor = await startScriptedVendor(t, script)
  const source = {
    ...resolveSource({
      id: 'dt',
      vendor: 'dingtalk',
      baseUrl: vendor.url,
      appKey: 'scripted-key',
      appSecret: 'scripted-secret',
      rateLimitPerSecond: 1000,
      // The tests ask for fixed dates of 2024; the cache would answer a repeated block.
      retentionDays: 0,
      cacheTtlSeconds: 0,
    }),
    ...overrides,
  }
  const { app } = await startReplica(t, [source])
  const response = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    payload: { from: '2024-05-06', to: '2024-05-06', users: users.map((id) => `dt:${id}`) },
  })
  t.equal(response.statusCode, 200)
  return { vendor, body: response.json<AttendanceResponse>() }
}

/** 12 rows a user (the bound) for ten users on one day: 120 rows, served 50 a page. */
const tenUsers = Array.from({ length: 10 }, (_, i) => `u${i}`)
const rows = Array.from({ length: 120 }, (_, i) => dingTalkRow(`u${Math.floor(i / 12)}`, '2024-05-06', i))
const page = (offset: number) => ({
  body: {
    errcode: 0,
    errmsg: 'ok',
    recordresult: rows.slice(offset, offset + 50),
    hasMore: offset + 50 < rows.length,
  },
})

t.test('a page that fails is asked again from its own offset, not from page 0', async (t) => {
  const { vendor, body } = await query(
    t,
    (request, sameBefore) => {
      if (request.path === '/gettoken') return dingTalkToken()
      const offset = Number(request.body.offset)
      // The second page is busy the first time it is asked.
      if (offset === 50 && sameBefore === 0) return { body: { errcode: -1, errmsg: '系统繁忙' } }
      return page(offset)
    },
    tenUsers,
    { maxConcurrency: 1 },
  )
  t.same(
    vendor.calls(LIST).map((request) => request.body.offset),
    [0, 50, 50, 100],
    'pages 0 and 1 once each, page 1 again, then page 2',
  )
  t.equal(body.complete, true)
  t.equal(body.sources[0]?.vendorCalls, 4)
  t.equal(body.results.length, 10, 'one day for each of the ten users')
})

t.test('a hasMore that is neither true nor false is a bad response, not the end of the block', async (t) => {
  for (const hasMore of [undefined, 'false', 1, null]) {
    const { body } = await query(
      t,
      (request) =>
        request.path === '/gettoken'
          ? dingTalkToken()
          : { body: { errcode: 0, errmsg: 'ok', recordresult: rows.slice(0, 50), hasMore } },
      ['u1'],
    )
    const [report] = body.sources
    t.equal(body.complete, false, `hasMore ${JSON.stringify(hasMore)}: not complete`)
    t.equal(report?.status, 'error')
    t.equal(report?.error?.code, 'VENDOR_BAD_RESPONSE')
    t.match(report?.error?.message, /hasMore/)
    t.same(report?.missing, [{ userIds: ['u1'], from: '2024-05-06', to: '2024-05-06' }])
    t.same(body.results, [], 'no day of the block is passed on as if it were whole')
  }
})

t.test('a vendor that never stops paging is stopped at the block bound, as an error', async (t) => {
  const { vendor, body } = await query(
    t,
    (request) =>
      request.path === '/gettoken'
        ? dingTalkToken()
        : { body: { errcode: 0, errmsg: 'ok', recordresult: rows.slice(0, 50), hasMore: true } },
    ['u1'],
  )
  // 1 user × 1 day × 12 rows at most, 50 a page: ceil(12 / 50) + 1 = 2 pages.
  t.equal(vendor.calls(LIST).length, 2)
  t.equal(body.sources[0]?.error?.code, 'VENDOR_BAD_RESPONSE')
  t.match(body.sources[0]?.error?.message, /kept saying hasMore after 2 pages/)
  t.equal(body.complete, false)
})

t.test("the org's monthly quota (90020) fails the source at once: no retry, no further block", async (t) => {
  const users = Array.from({ length: 120 }, (_, i) => `q${String(i).padStart(3, '0')}`) // 3 blocks
  const { vendor, body } = await query(
    t,
    (request) =>
      request.path === '/gettoken'
        ? dingTalkToken()
        : { body: { errcode: 90020, errmsg: '本月api调用量已超过限制' } },
    users,
    { maxConcurrency: 1 },
  )
  t.equal(vendor.calls(LIST).length, 1, 'one call in all')
  const [report] = body.sources
  t.equal(report?.status, 'error')
  t.equal(report?.error?.code, 'VENDOR_QUOTA_EXHAUSTED')
  t.equal(report?.error?.vendorCode, 90020)
  t.equal(report?.vendorCalls, 1)
  t.equal(report?.missing.length, 3, 'every block is listed missing')
})

t.test(
  'a failing token call is one attempt of the data call, not a retry loop inside each attempt',
  async (t) => {
    const { vendor, body } = await query(
      t,
      (request) =>
        request.path === '/gettoken'
          ? { body: { errcode: -1, errmsg: '系统繁忙' } }
          : page(Number(request.body.offset)),
      ['u1'],
    )
    t.equal(
      vendor.calls('/gettoken').length,
      6,
      'six attempts in all (the retry policy), one token call each',
    )
    t.equal(vendor.calls(LIST).length, 0)
    t.equal(body.sources[0]?.error?.code, 'VENDOR_UNAVAILABLE')
  },
)
