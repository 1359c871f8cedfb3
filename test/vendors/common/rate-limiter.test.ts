// The outbound limiter's arithmetic, on virtual time: GCRA slots spaced (1000 + safety) / rate apart, the
// sliding-window guard, and refusals when the deadline comes before the slot.
import t from 'tap'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { RateLimiter } from '../../../src/vendors/common/rate-limiter.js'
import { VendorError } from '../../../src/vendors/common/vendor-error.js'
import { virtualTime } from './virtual-time.js'

const never = new AbortController().signal

function limiter(ratePerSecond: number, safetyMs = 30) {
  const time = virtualTime()
  const store = new MemoryStore({ clock: time.clock })
  const rateLimiter = new RateLimiter({
    store,
    key: 'ratelimit:test',
    ratePerSecond,
    safetyMs,
    now: time.now,
    sleep: time.sleep,
  })
  return { time, rateLimiter }
}

t.test('ten callers at once go out one interval apart, in order', async (t) => {
  const { time, rateLimiter } = limiter(10) // interval (1000 + 30) / 10 = 103 ms
  const deadline = time.now() + 60_000
  const sentAt: number[] = []
  for (let i = 0; i < 10; i++) {
    const permit = await rateLimiter.acquire(never, deadline)
    permit.markSent()
    sentAt.push(time.clock.monotonic())
  }
  t.same(
    sentAt,
    Array.from({ length: 10 }, (_, i) => i * 103),
    'slot k at k × 103 ms: never more than 10 in any 1,030 ms',
  )
})

t.test('the window guard holds the 11th call until the first leaves the window', async (t) => {
  const { time, rateLimiter } = limiter(10, 0) // interval 100 ms, window 1,000 ms, limit 10
  const deadline = time.now() + 60_000
  for (let i = 0; i < 10; i++) (await rateLimiter.acquire(never, deadline)).markSent()
  t.equal(time.clock.monotonic(), 900, 'ten calls at 0, 100, … 900')
  const eleventh = await rateLimiter.acquire(never, deadline)
  eleventh.markSent()
  t.equal(
    time.clock.monotonic(),
    1000,
    'the 11th slot is at 1,000 ms, when the call at 0 has left the window',
  )
  t.equal(eleventh.waitedMs, 100)
})

t.test('a slot after the deadline is refused at once and reserves nothing', async (t) => {
  const { time, rateLimiter } = limiter(2, 0) // interval 500 ms
  const deadline = time.now() + 700
  await rateLimiter.acquire(never, deadline) // slot 0
  await rateLimiter.acquire(never, deadline) // slot 500
  const refused = await rateLimiter.acquire(never, deadline).catch((error: unknown) => error)
  t.ok(refused instanceof VendorError)
  t.equal((refused as VendorError).code, 'TIMEOUT')
  t.equal(time.clock.monotonic(), 500, 'the refusal waited for nothing')
  const later = await rateLimiter.acquire(never, time.now() + 10_000)
  t.equal(later.waitedMs, 500, 'the refused caller took no slot: the next one is 1,000 ms, 500 ms from now')
})

t.test('an aborted caller stops waiting with its own reason', async (t) => {
  const { time, rateLimiter } = limiter(1, 0)
  const gone = new AbortController()
  await rateLimiter.acquire(never, time.now() + 10_000)
  gone.abort(new Error('client went away'))
  await t.rejects(rateLimiter.acquire(gone.signal, time.now() + 10_000), { message: 'client went away' })
})
