// The in-memory store's arithmetic on time, exactly, with a test clock: TTLs, lock extension, GCRA slot
// spacing and the sliding-window log. (shared-store.test.ts runs the contract against Redis as well.)
import t from 'tap'
import { MemoryStore } from '../../src/store/memory-store.js'
import { createTestClock } from '../../src/time/clock.js'

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

t.test('reserveSlot spaces slots exactly intervalMs apart, and refuses beyond maxWait', async (t) => {
  const { clock, store } = storeWithClock()
  const waits: number[] = []
  for (let i = 0; i < 5; i++) {
    const reservation = await store.reserveSlot('limiter', 100, 10_000)
    t.equal(reservation.granted, true)
    waits.push(reservation.waitMs)
  }
  t.same(waits, [0, 100, 200, 300, 400])
  t.same(await store.reserveSlot('limiter', 100, 499), { granted: false, waitMs: 500 })
  t.same(
    await store.reserveSlot('limiter', 100, 500),
    { granted: true, waitMs: 500 },
    'a refusal reserved nothing: the next caller gets the slot it was offered',
  )
  clock.advance(250)
  t.same(await store.reserveSlot('limiter', 100, 10_000), { granted: true, waitMs: 350 })
  t.same(await store.reserveSlot('other', 100, 10_000), { granted: true, waitMs: 0 }, 'other keys are free')
  clock.advance(10_000)
  t.same(await store.reserveSlot('limiter', 100, 10_000), { granted: true, waitMs: 0 })
  t.same(
    await store.reserveSlot('limiter', 100, 10_000),
    { granted: true, waitMs: 100 },
    'an idle limiter saves up no burst',
  )
})

t.test('admitToWindow admits `limit` in any window and says exactly when a place frees', async (t) => {
  const { clock, store } = storeWithClock()
  const admissions: boolean[] = []
  for (let i = 0; i < 3; i++) {
    if (i > 0) clock.advance(10)
    admissions.push((await store.admitToWindow('log', 3, 300)).granted)
  }
  t.same(admissions, [true, true, true], 'admitted at 0, 10 and 20 ms')
  clock.advance(10)
  t.same(await store.admitToWindow('log', 3, 300), { granted: false, waitMs: 270 }, 'at 30 ms')
  clock.advance(269)
  t.same(await store.admitToWindow('log', 3, 300), { granted: false, waitMs: 1 }, 'at 299 ms')
  clock.advance(1)
  const admitted = await store.admitToWindow('log', 3, 300)
  t.equal(admitted.granted, true, 'at 300 ms the send of 0 ms has left the window')
  t.same(
    await store.admitToWindow('log', 3, 300),
    { granted: false, waitMs: 10 },
    'full again: the send of 10 ms leaves next',
  )
})

t.test('confirmSend moves an admitted send to the moment it left', async (t) => {
  const { clock, store } = storeWithClock()
  const admitted = await store.admitToWindow('log', 1, 300)
  t.equal(admitted.granted, true)
  t.type(admitted.ticket, 'string')
  clock.advance(100)
  await store.confirmSend('log', admitted.ticket as string)
  clock.advance(250)
  t.same(
    await store.admitToWindow('log', 1, 300),
    { granted: false, waitMs: 50 },
    'at 350 ms the send stamped at 100 ms holds its place until 400 ms',
  )
  await store.confirmSend('log', 'not-a-ticket')
  clock.advance(50)
  t.equal((await store.admitToWindow('log', 1, 300)).granted, true, 'an unknown ticket changes nothing')
})
