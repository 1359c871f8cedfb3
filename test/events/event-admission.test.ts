// The webhooks' admission on a test clock: a source's events and an address's failed checks are counted
// apart, each in its own minute, so failures never use up a source's events.
import t from 'tap'
import { EventAdmission } from '../../src/domain/events/event-admission.js'
import { createTestClock } from '../../src/platform/time/clock.js'
import { MemoryStore } from '../../src/store/memory-store.js'

// 12:00:00 UTC on some day: the start of a minute.
const MINUTE_START = Date.UTC(2024, 4, 7, 12, 0, 0)

function admissionAt(start = MINUTE_START) {
  const clock = createTestClock(start)
  const store = new MemoryStore({ clock })
  const admission = new EventAdmission(store, { perSource: 3, failuresPerAddress: 2 }, clock)
  return { clock, admission }
}

t.test('an address is refused once it failed failuresPerAddress times this minute', async (t) => {
  const { clock, admission } = admissionAt()
  t.equal(await admission.addressAllowed('198.51.100.7'), true)
  await admission.countFailure('198.51.100.7')
  t.equal(await admission.addressAllowed('198.51.100.7'), true, 'one failure of two')
  await admission.countFailure('198.51.100.7')
  t.equal(await admission.addressAllowed('198.51.100.7'), false, 'two failures: refused')
  t.equal(await admission.addressAllowed('198.51.100.8'), true, 'another address is not')
  t.equal(await admission.admitEvent('feishu'), true, "the source's events are not touched")
  clock.advance(59_999)
  t.equal(await admission.addressAllowed('198.51.100.7'), false, 'the whole minute')
  t.equal(admission.secondsLeft(), 1)
  clock.advance(1)
  t.equal(await admission.addressAllowed('198.51.100.7'), true, 'the next minute it may try again')
  t.equal(admission.secondsLeft(), 60)
})

t.test('a source takes perSource events a minute', async (t) => {
  const { clock, admission } = admissionAt(MINUTE_START + 30_000)
  t.same(
    [
      await admission.admitEvent('dingtalk'),
      await admission.admitEvent('dingtalk'),
      await admission.admitEvent('dingtalk'),
      await admission.admitEvent('dingtalk'),
    ],
    [true, true, true, false],
  )
  t.equal(await admission.admitEvent('feishu'), true, 'per source')
  t.equal(admission.secondsLeft(), 30)
  clock.advance(30_000)
  t.equal(await admission.admitEvent('dingtalk'), true, 'a new minute')
})
