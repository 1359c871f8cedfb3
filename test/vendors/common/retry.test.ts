// The retries' arithmetic on virtual time and a fixed jitter: exponential backoff with full jitter, the
// vendor's own pause, the attempt budget, the deadline, and what is never retried.
import t from 'tap'
import { DEFAULT_RETRY_POLICY, retryDelayMs, withRetries } from '../../../src/vendors/common/retry.js'
import { VendorError } from '../../../src/vendors/common/vendor-error.js'
import { virtualTime } from './virtual-time.js'

const never = new AbortController().signal
const busy = () => new VendorError('VENDOR_UNAVAILABLE', 'busy', { retryable: true })

t.test('backoff doubles from 250 ms up to 8 s, scaled by the jitter', async (t) => {
  const policy = DEFAULT_RETRY_POLICY
  t.same(
    [1, 2, 3, 4, 5, 6, 7].map((attempt) => retryDelayMs(policy, attempt, busy(), 1)),
    [250, 500, 1000, 2000, 4000, 8000, 8000],
  )
  t.equal(retryDelayMs(policy, 3, busy(), 0.5), 500, 'full jitter: a share of the cap')
  const throttled = new VendorError('VENDOR_RATE_LIMITED', 'wait', { retryable: true, retryAfterMs: 3000 })
  t.equal(retryDelayMs(policy, 1, throttled, 1), 3000, "the vendor's pause wins over a shorter backoff")
  const short = new VendorError('VENDOR_RATE_LIMITED', 'wait', { retryable: true, retryAfterMs: 100 })
  t.equal(retryDelayMs(policy, 7, short, 1), 2000, 'but never less than a quarter of the backoff')
})

t.test('six attempts in all, with the delays between them', async (t) => {
  const time = virtualTime()
  let attempts = 0
  const failure = await withRetries(
    async () => {
      attempts++
      throw busy()
    },
    {
      policy: DEFAULT_RETRY_POLICY,
      signal: never,
      deadline: time.now() + 60_000,
      timing: { now: time.now, sleep: time.sleep, random: () => 1 },
    },
  ).catch((error: unknown) => error)
  t.equal(attempts, 6)
  t.same(time.sleeps, [250, 500, 1000, 2000, 4000])
  t.equal((failure as VendorError).code, 'VENDOR_UNAVAILABLE', 'the last failure is what the caller sees')
})

t.test('no retry that could not start before the deadline', async (t) => {
  const time = virtualTime()
  let attempts = 0
  await withRetries(
    async () => {
      attempts++
      throw busy()
    },
    {
      policy: DEFAULT_RETRY_POLICY,
      signal: never,
      deadline: time.now() + 1000, // 250 + 500 fit; the next 1,000 would end past it
      timing: { now: time.now, sleep: time.sleep, random: () => 1 },
    },
  ).catch(() => {})
  t.equal(attempts, 3)
  t.same(time.sleeps, [250, 500])
})

t.test('what is not retryable is thrown at once; success ends the loop', async (t) => {
  const time = virtualTime()
  const timing = { now: time.now, sleep: time.sleep, random: () => 1 }
  let attempts = 0
  await withRetries(
    async () => {
      attempts++
      throw new VendorError('VENDOR_QUOTA_EXHAUSTED', 'spent', { vendorCode: 90020 })
    },
    { policy: DEFAULT_RETRY_POLICY, signal: never, deadline: time.now() + 60_000, timing },
  ).catch(() => {})
  t.equal(attempts, 1, 'a spent quota is not retried')
  let calls = 0
  const value = await withRetries(
    async () => {
      if (++calls < 3) throw busy()
      return 'ok'
    },
    { policy: DEFAULT_RETRY_POLICY, signal: never, deadline: time.now() + 60_000, timing },
  )
  t.equal(value, 'ok')
  t.equal(calls, 3)
})
