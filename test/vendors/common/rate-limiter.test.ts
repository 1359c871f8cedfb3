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

t.test('a refusal for rate cuts the pace once per burst, for every limiter on the store', async (t) => {
  const time = virtualTime()
  const store = new MemoryStore({ clock: time.clock })
  const replica = () =>
    new RateLimiter({
      store,
      key: 'ratelimit:{shared}',
      ratePerSecond: 10,
      safetyMs: 0,
      now: time.now,
      sleep: time.sleep,
    })
  const [one, two] = [replica(), replica()]
  const deadline = time.now() + 60_000
  const inFlight = [await one.acquire(never, deadline), await one.acquire(never, deadline)]
  t.same(
    inFlight.map((permit) => permit.rateInForce),
    [10, 10],
  )
  t.same(await inFlight[0]?.refusedForRate(), { cut: true, rateInForce: 7 }, 'the first refusal cuts to 70%')
  const cutAt = time.clock.monotonic()
  t.same(
    await inFlight[1]?.refusedForRate(),
    { cut: false, rateInForce: 7 },
    'the other call sent at 10 a second was refused in the same burst: no second cut',
  )
  t.equal(await two.rateInForce(), 7, 'the other replica paces at the cut rate too')
  const before = time.clock.monotonic()
  const paced = await two.acquire(never, deadline)
  t.ok(Math.abs(paced.rateInForce - 7) < 0.05, `paced at the cut rate, 7 (${paced.rateInForce})`)
  const next = await two.acquire(never, deadline)
  t.equal(
    Math.round(time.clock.monotonic() - before),
    Math.round(100 + 1000 / 7),
    'its slots come window / 7 apart after the one reserved at 10 a second',
  )
  // Meanwhile it climbed 2% of 10 a second.
  const climbed = 7 + (10 * 0.02 * (time.clock.monotonic() - cutAt)) / 1000
  t.same(await next.refusedForRate(), { cut: true, rateInForce: climbed * 0.7 }, 'refused at 7: cut again')
})

t.test('a late send is re-stamped in the window; one later than the safety window is refused', async (t) => {
  const time = virtualTime()
  const store = new MemoryStore({ clock: time.clock })
  let confirmed = 0
  const counting = Object.assign(Object.create(store) as MemoryStore, {
    confirmSend: async (key: string, ticket: string) => {
      confirmed++
      return store.confirmSend(key, ticket)
    },
  })
  const rateLimiter = new RateLimiter({
    store: counting,
    key: 'k',
    ratePerSecond: 10,
    now: time.now,
    sleep: time.sleep,
  })
  const deadline = time.now() + 60_000
  t.equal((await rateLimiter.acquire(never, deadline)).markSent(), true)
  t.equal(confirmed, 0, 'sent as soon as it was admitted: the admission stamp stands')
  const late = await rateLimiter.acquire(never, deadline)
  time.clock.advance(20)
  t.equal(late.markSent(), true, '20 ms late: within the 30 ms safety window, it may go')
  t.equal(confirmed, 1, '…re-stamped at its departure')
  const stale = await rateLimiter.acquire(never, deadline)
  time.clock.advance(31)
  t.equal(stale.markSent(), false, '31 ms late: past the safety window, stale')
  t.equal(confirmed, 1, 'a stale permit is not re-stamped: its request is never written')
})
