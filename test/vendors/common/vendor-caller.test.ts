// The vendor caller on virtual time against a scripted vendor over HTTP: one retry budget per call, a
// refused token replaced once within its attempt, token failures counted as attempts, data calls counted.
import t, { type Test } from 'tap'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { RateLimiter } from '../../../src/vendors/common/rate-limiter.js'
import { DEFAULT_RETRY_POLICY } from '../../../src/vendors/common/retry.js'
import { type TokenSource, VendorCaller } from '../../../src/vendors/common/vendor-caller.js'
import { VendorError } from '../../../src/vendors/common/vendor-error.js'
import { UnsentRequest, VendorHttp } from '../../../src/vendors/common/vendor-http.js'
import { dingTalkVerdict } from '../../../src/vendors/dingtalk/verdict.js'
import { type Script, startScriptedVendor } from '../../helpers/scripted-vendor.js'
import { silentLog } from '../../helpers/silent-log.js'
import { virtualTime } from './virtual-time.js'

/** A VendorHttp for the scripted vendor, closed with the test. */
function vendorHttp(t: Test, baseUrl: string): VendorHttp {
  const http = new VendorHttp({
    source: 'dt',
    baseUrl,
    requestTimeoutMs: 5000,
    maxSockets: 4,
    log: silentLog as never,
    vendorCodeOf: (body) => (body as { errcode?: unknown }).errcode,
  })
  t.teardown(() => http.close())
  return http
}

async function caller(t: Test, script: Script) {
  const vendor = await startScriptedVendor(t, script)
  // Starts at the real now: VendorHttp bounds each exchange by the deadline on the real clock.
  const time = virtualTime(Date.now())
  const http = vendorHttp(t, vendor.url)
  const limiter = new RateLimiter({
    store: new MemoryStore({ clock: time.clock }),
    key: 'ratelimit:test',
    ratePerSecond: 10,
    safetyMs: 0,
    now: time.now,
    sleep: time.sleep,
  })
  const warnings: unknown[] = []
  const vendorCaller = new VendorCaller(http, limiter, {
    timing: { now: time.now, sleep: time.sleep, random: () => 1 },
    source: 'dt',
    log: { ...silentLog, warn: (fields: unknown) => warnings.push(fields) } as never,
  })
  return { vendor, time, vendorCaller, limiter, warnings }
}

/** Tokens t1, t2, … handed out in turn; `failures` first get() calls throw a retryable error. */
function tokens(failures = 0): TokenSource & { invalidated: string[]; fetched: number } {
  let current: string | undefined
  let fetched = 0
  const invalidated: string[] = []
  return {
    invalidated,
    get fetched() {
      return fetched
    },
    async get() {
      if (fetched < failures) {
        fetched++
        throw new VendorError('VENDOR_UNAVAILABLE', 'token endpoint busy', { retryable: true })
      }
      if (!current) current = `token-${++fetched}`
      return current
    },
    async invalidate(token) {
      invalidated.push(token)
      if (current === token) current = undefined
    },
  }
}

const list = (token: string) => ({
  endpoint: 'attendance/list',
  method: 'POST' as const,
  path: '/attendance/list',
  searchParams: { access_token: token },
  json: { offset: 0 },
})
const read = (response: Parameters<typeof dingTalkVerdict>[0]) => dingTalkVerdict(response, 'attendance/list')
const never = new AbortController().signal

t.test('a refused token is replaced and the call sent again within the same attempt', async (t) => {
  const { vendor, time, vendorCaller } = await caller(t, (request) =>
    request.query.get('access_token') === 'token-1'
      ? { body: { errcode: 42001, errmsg: 'access_token expired' } }
      : { body: { errcode: 0, recordresult: [], hasMore: false } },
  )
  const source = tokens()
  let counted = 0
  const body = await vendorCaller.callWithToken(source, list, read, {
    signal: never,
    deadline: time.now() + 60_000,
    countCall: () => counted++,
  })
  t.equal(body.errcode, 0)
  t.same(
    vendor.calls('/attendance/list').map((request) => request.query.get('access_token')),
    ['token-1', 'token-2'],
  )
  t.same(source.invalidated, ['token-1'])
  t.equal(counted, 2, 'both data calls are counted')
  t.same(
    time.sleeps,
    [100],
    'no backoff: the first send went at once, the second only waited for its rate-limit slot',
  )
})

t.test('a token refused twice in a row is VENDOR_AUTH_FAILED, not retried further', async (t) => {
  const { vendor, time, vendorCaller } = await caller(t, () => ({
    body: { errcode: 40014, errmsg: 'invalid' },
  }))
  const failure = await vendorCaller
    .callWithToken(tokens(), list, read, { signal: never, deadline: time.now() + 60_000 })
    .catch((error: unknown) => error)
  t.equal((failure as VendorError).code, 'VENDOR_AUTH_FAILED')
  t.match((failure as VendorError).message, /refused a freshly fetched token/)
  t.equal(vendor.calls('/attendance/list').length, 2)
})

t.test('token failures use up the same attempts as data failures: six in all', async (t) => {
  const { vendor, time, vendorCaller } = await caller(t, (_request, sameBefore) =>
    sameBefore < 2 ? { body: { errcode: -1, errmsg: '系统繁忙' } } : { body: { errcode: 0, hasMore: false } },
  )
  const source = tokens(3) // attempts 1-3 fail at the token, 4-5 at the vendor (busy), 6 succeeds
  const body = await vendorCaller.callWithToken(source, list, read, {
    signal: never,
    deadline: time.now() + 600_000,
  })
  t.equal(body.errcode, 0)
  t.equal(source.fetched, 4, 'three failed token fetches and one good one')
  t.equal(vendor.calls('/attendance/list').length, 3)
  t.same(
    time.sleeps.filter((ms) => ms >= 250),
    [250, 500, 1000, 2000, 4000],
    'five backoffs between six attempts',
  )
  t.equal(DEFAULT_RETRY_POLICY.maxAttempts, 6)
})

t.test('a refusal for the app rate slows the source down; other throttling does not', async (t) => {
  let answer = 0
  // 90018: the app's calls a second; 90002: an API-wide limit, which a slower app would not help.
  const answers = [
    { errcode: 90018, errmsg: 'rate' },
    { errcode: 90002, errmsg: 'api limit' },
  ]
  const { vendorCaller, limiter, time, warnings } = await caller(t, () => ({
    body: answers[answer++] ?? { errcode: 0, recordresult: [], hasMore: false },
  }))
  const body = await vendorCaller.callWithToken(tokens(), list, read, {
    signal: never,
    deadline: time.now() + 60_000,
  })
  t.equal(body.errcode, 0, 'retried to success')
  t.equal(answer, 3, 'three sends')
  // One cut to 7, then 2% of 10 a second regained over the retries' backoff (virtual, under 2 s): a second
  // cut would have taken it below 5.
  const rate = await limiter.rateInForce()
  t.ok(rate >= 7 && rate < 7.4, `one cut, to 70% of 10: the 90002 refusal cut nothing (${rate})`)
  t.same(warnings, [{ source: 'dt', pacedAt: 10, rateInForce: 7 }], 'the cut is logged once, with no secret')
})

t.test('a request whose permit went stale is never written, and is paced again', async (t) => {
  const vendor = await startScriptedVendor(t, () => ({
    body: { errcode: 0, recordresult: [], hasMore: false },
  }))
  const http = vendorHttp(t, vendor.url)
  const send = (beforeWrite: () => boolean) =>
    http.send({ ...list('tok-1'), attempt: 1, signal: never, deadline: Date.now() + 10_000, beforeWrite })
  await t.rejects(
    send(() => false),
    UnsentRequest,
    'on a new connection: abandoned',
  )
  t.equal(vendor.calls('/attendance/list').length, 0, 'the vendor saw nothing')
  await send(() => true)
  t.equal(vendor.calls('/attendance/list').length, 1)
  await t.rejects(
    send(() => false),
    UnsentRequest,
    'on a kept-alive socket: abandoned too',
  )
  t.equal(vendor.calls('/attendance/list').length, 1, 'and the vendor saw nothing')

  // Through the caller: the first permit goes stale, the second one sends.
  const caller = (freshness: boolean[]) => {
    const limiter = {
      acquired: 0,
      restamped: 0,
      acquire: async () => {
        const fresh = freshness[limiter.acquired++] ?? false
        return {
          waitedMs: 0,
          rateInForce: 10,
          markSent: () => fresh,
          restamp: () => limiter.restamped++,
          refusedForRate: async () => ({ cut: false, rateInForce: 10 }),
        }
      },
    }
    return { limiter, vendorCaller: new VendorCaller(http, limiter as never) }
  }
  const deadline = () => Date.now() + 10_000
  const once = caller([false, true])
  let counted = 0
  const body = await once.vendorCaller.once(list('tok-1'), read, {
    signal: never,
    deadline: deadline(),
    countCall: () => counted++,
  })
  t.equal(body.errcode, 0)
  t.equal(once.limiter.acquired, 2, 'a second permit was acquired')
  t.equal(vendor.calls('/attendance/list').length, 2, 'one request reached the vendor')
  t.equal(counted, 1, 'and one call was counted')

  // The permit goes stale, and the caller is stopped (a cancelled export) while it waits for the next:
  // nothing reached the vendor, so nothing is counted.
  const cancelled = caller([false])
  const stop = new AbortController()
  const acquire = cancelled.limiter.acquire
  cancelled.limiter.acquire = async () => {
    if (cancelled.limiter.acquired === 1) {
      stop.abort(new Error('cancelled'))
      throw stop.signal.reason
    }
    return acquire()
  }
  let countedBeforeStop = 0
  await t.rejects(
    cancelled.vendorCaller.once(list('tok-1'), read, {
      signal: stop.signal,
      deadline: deadline(),
      countCall: () => countedBeforeStop++,
    }),
    { message: 'cancelled' },
  )
  t.equal(vendor.calls('/attendance/list').length, 2, 'the stale request was not written')
  t.equal(countedBeforeStop, 0, 'a call stopped before it was written is not counted')

  const starved = caller([])
  await starved.vendorCaller.once(list('tok-1'), read, { signal: never, deadline: deadline() })
  t.equal(starved.limiter.acquired, 4, 'three stale permits in a row, then a fourth…')
  t.equal(vendor.calls('/attendance/list').length, 3, '…which is sent whatever its age')
  t.ok(starved.limiter.restamped >= 1, 'stamped as it left')
})
