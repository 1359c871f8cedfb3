// The in-memory store's arithmetic on time, exactly, with a test clock: TTLs, lock extension, GCRA slot
// spacing and the sliding-window log. (shared-store.test.ts runs the contract against Redis as well.)
import t from 'tap'
import { createTestClock } from '../../src/platform/time/clock.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import type { SharedStore } from '../../src/store/shared-store.js'

/** The window guard alone, at `limit` calls per `windowMs`; the admission without the rate it reports. */
async function admit(store: SharedStore, log: string, limit: number, windowMs: number) {
  const { rateInForce: _rate, ...admission } = await store.admitToWindow(
    { log, pace: `${log}:pace` },
    { ratePerSecond: limit, windowMs },
  )
  return admission
}

function storeWithClock() {
  const clock = createTestClock(1_700_000_000_000)
  return { clock, store: new MemoryStore({ clock }) }
}

t.test('a value lives exactly its TTL', async (t) => {
  const { clock, store } = storeWithClock()
  await store.set('a', 'one', 150)
  clock.advance(149)
  t.equal(await store.get('a'), 'one', '1 ms before its TTL')
  clock.advance(1)
  t.equal(await store.get('a'), null, 'at its TTL')
})

t.test('setIfAbsent holds the lock exactly its TTL, then the next caller gets it', async (t) => {
  const { clock, store } = storeWithClock()
  t.equal(await store.setIfAbsent('lock', 'owner-1', 200), true)
  clock.advance(199)
  t.equal(await store.setIfAbsent('lock', 'owner-2', 200), false)
  t.equal(await store.get('lock'), 'owner-1')
  clock.advance(1)
  t.equal(await store.setIfAbsent('lock', 'owner-2', 200), true)
  t.equal(await store.get('lock'), 'owner-2')
})

t.test('extendIfEquals gives the owner a new lifetime from now; nobody else', async (t) => {
  const { clock, store } = storeWithClock()
  await store.set('lock', 'owner-1', 100)
  clock.advance(60)
  t.equal(await store.extendIfEquals('lock', 'owner-2', 100), false, 'not for another owner')
  t.equal(await store.extendIfEquals('missing', 'owner-1', 100), false, 'not for a missing key')
  t.equal(await store.extendIfEquals('lock', 'owner-1', 100), true)
  clock.advance(99)
  t.equal(await store.get('lock'), 'owner-1', '159 ms after it was set: past its first TTL, within the new')
  clock.advance(1)
  t.equal(await store.get('lock'), null, 'at exactly 100 ms after the extension')
  t.equal(await store.extendIfEquals('lock', 'owner-1', 100), false, 'an expired lock cannot be extended')
})

const limiter = (name: string) => ({ slot: name, log: `${name}:log`, pace: `${name}:pace` })
// 10 a second over a 1,000 ms window: slots 100 ms apart.
const TEN_A_SECOND = { ratePerSecond: 10, windowMs: 1000 }
const slotOf = ({ granted, waitMs }: { granted: boolean; waitMs: number }) => ({ granted, waitMs })

t.test('reserveSend spaces slots exactly window / rate apart, and refuses beyond maxWait', async (t) => {
  const { clock, store } = storeWithClock()
  const reserve = async (maxWaitMs: number, name = 'limiter') =>
    slotOf(await store.reserveSend(limiter(name), TEN_A_SECOND, maxWaitMs))
  const waits: number[] = []
  for (let i = 0; i < 5; i++) {
    const reservation = await reserve(10_000)
    t.equal(reservation.granted, true)
    waits.push(reservation.waitMs)
  }
  t.same(waits, [0, 100, 200, 300, 400])
  t.same(await reserve(499), { granted: false, waitMs: 500 })
  t.same(
    await reserve(500),
    { granted: true, waitMs: 500 },
    'a refusal reserved nothing: the next caller gets the slot it was offered',
  )
  clock.advance(250)
  t.same(await reserve(10_000), { granted: true, waitMs: 350 })
  t.same(await reserve(10_000, 'other'), { granted: true, waitMs: 0 }, 'other keys are free')
  clock.advance(10_000)
  t.same(await reserve(10_000), { granted: true, waitMs: 0 })
  t.same(await reserve(10_000), { granted: true, waitMs: 100 }, 'an idle limiter saves up no burst')
})

t.test(
  'reserveSend admits a call whose slot is now in the same step, while the window has room',
  async (t) => {
    const { store } = storeWithClock()
    const first = await store.reserveSend(limiter('l'), TEN_A_SECOND, 10_000)
    t.type(first.ticket, 'string', 'slot now, window empty: admitted at once')
    t.equal(first.rateInForce, 10)
    const second = await store.reserveSend(limiter('l'), TEN_A_SECOND, 10_000)
    t.equal(second.ticket, undefined, 'a later slot is admitted when it comes, by admitToWindow')
    const full = limiter('full')
    for (let i = 0; i < 2; i++) await admit(store, full.log, 2, 1000)
    const crowded = await store.reserveSend(full, { ratePerSecond: 2, windowMs: 1000 }, 10_000)
    t.same(slotOf(crowded), { granted: true, waitMs: 0 }, 'the slot is now…')
    t.equal(crowded.ticket, undefined, '…but the window is full: not admitted')
  },
)

t.test('slowDown cuts the rate to 70% once per burst, and it climbs back 2% a second', async (t) => {
  const { clock, store } = storeWithClock()
  const keys = limiter('paced')
  const pace = { ratePerSecond: 20, windowMs: 1000 }
  t.equal(await store.paceInForce(keys.pace, pace), 20, 'the configured rate until a refusal')
  t.same(await store.slowDown(keys.pace, pace, 20), { cut: true, rateInForce: 14 })
  t.same(
    await store.slowDown(keys.pace, pace, 20),
    { cut: false, rateInForce: 14 },
    'another refusal of a call paced at 20 comes from the same burst: no second cut',
  )
  const reservation = await store.reserveSend(keys, pace, 10_000)
  t.equal(reservation.rateInForce, 14)
  t.same(
    slotOf(await store.reserveSend(keys, pace, 10_000)),
    { granted: true, waitMs: 1000 / 14 },
    'slots are spaced at the rate in force',
  )
  clock.advance(5000)
  t.equal(await store.paceInForce(keys.pace, pace), 16, '5 s later: 14 + 5 × 0.4')
  t.same(
    await store.slowDown(keys.pace, pace, 14),
    { cut: true, rateInForce: 16 * 0.7 },
    'a refusal of a call paced at the cut rate cuts again, from the rate in force',
  )
  clock.advance(60_000)
  t.equal(await store.paceInForce(keys.pace, pace), 20, 'back at the configured rate, never above it')
  for (let i = 0; i < 30; i++) await store.slowDown(keys.pace, pace, await store.paceInForce(keys.pace, pace))
  t.equal(await store.paceInForce(keys.pace, pace), 1, 'never below 5% of the configured rate')
})

t.test('admitToWindow admits `limit` in any window and says exactly when a place frees', async (t) => {
  const { clock, store } = storeWithClock()
  const admissions: boolean[] = []
  for (let i = 0; i < 3; i++) {
    if (i > 0) clock.advance(10)
    admissions.push((await admit(store, 'log', 3, 300)).granted)
  }
  t.same(admissions, [true, true, true], 'admitted at 0, 10 and 20 ms')
  clock.advance(10)
  t.same(await admit(store, 'log', 3, 300), { granted: false, waitMs: 270 }, 'at 30 ms')
  clock.advance(269)
  t.same(await admit(store, 'log', 3, 300), { granted: false, waitMs: 1 }, 'at 299 ms')
  clock.advance(1)
  const admitted = await admit(store, 'log', 3, 300)
  t.equal(admitted.granted, true, 'at 300 ms the send of 0 ms has left the window')
  t.same(
    await admit(store, 'log', 3, 300),
    { granted: false, waitMs: 10 },
    'full again: the send of 10 ms leaves next',
  )
})

t.test('confirmSend moves an admitted send to the moment it left', async (t) => {
  const { clock, store } = storeWithClock()
  const admitted = await admit(store, 'log', 1, 300)
  t.equal(admitted.granted, true)
  t.type(admitted.ticket, 'string')
  clock.advance(100)
  await store.confirmSend('log', admitted.ticket as string)
  clock.advance(250)
  t.same(
    await admit(store, 'log', 1, 300),
    { granted: false, waitMs: 50 },
    'at 350 ms the send stamped at 100 ms holds its place until 400 ms',
  )
  await store.confirmSend('log', 'not-a-ticket')
  clock.advance(50)
  t.equal((await admit(store, 'log', 1, 300)).granted, true, 'an unknown ticket changes nothing')
})
