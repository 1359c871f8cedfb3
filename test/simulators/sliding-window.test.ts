import t from 'tap'
import { CallStats } from '../../src/simulators/shared/counters.js'
import { RateLimiter } from '../../src/simulators/shared/rate-limiter.js'
import { SlidingWindow } from '../../src/simulators/shared/sliding-window.js'
import { ZERO_COUNTERS } from './helpers.js'

t.test('the window holds exactly the events of the last 1000 ms', async (t) => {
  const window = new SlidingWindow(1000)
  t.equal(window.add(0), 1)
  t.equal(window.add(500), 2)
  t.equal(window.add(999.9), 3)
  t.equal(window.count(1000), 2, 'the event at 0 leaves at 1000')
  t.equal(window.oldest(1000), 500)
  t.equal(window.count(1499.9), 2)
  t.equal(window.count(1500), 1)
  t.equal(window.count(2000), 0)
  t.equal(window.oldest(2000), undefined)
})

t.test('the window stays exact over many events', async (t) => {
  const window = new SlidingWindow(1000)
  let peak = 0
  for (let i = 0; i < 10_000; i++) peak = Math.max(peak, window.add(i * 10))
  t.equal(peak, 100, 'one event every 10 ms: 100 in any second')
  t.equal(window.count(99_990), 100)
})

t.test('a fixed window would be fooled by a burst across a second boundary; this one is not', async (t) => {
  const limiter = new RateLimiter(() => ({ perSecond: 5, countRefused: false }))
  const at = (now: number) => limiter.admit(now).allowed
  t.same([900, 910, 920, 930, 940].map(at), [true, true, true, true, true])
  t.same([1010, 1020].map(at), [false, false], 'still five calls within the last second')
  t.equal(at(1900), true, 'the call at 900 has left')
})

t.test('refused calls take a place in the window by default (the stricter choice)', async (t) => {
  const limiter = new RateLimiter(() => ({ perSecond: 2, countRefused: true }))
  t.equal(limiter.admit(0).allowed, true)
  t.equal(limiter.admit(100).allowed, true)
  t.same(limiter.admit(600), { allowed: false, retryAfterMs: 400 })
  t.equal(limiter.admit(1050).allowed, false, 'the calls at 100 and 600 are still in the window')
  t.equal(limiter.admit(1700).allowed, true, 'at 1700 only the refused call at 1050 remains')
})

t.test('with countRefused false only accepted calls fill the window', async (t) => {
  const limiter = new RateLimiter(() => ({ perSecond: 2, countRefused: false }))
  t.equal(limiter.admit(0).allowed, true)
  t.equal(limiter.admit(100).allowed, true)
  t.equal(limiter.admit(600).allowed, false)
  t.equal(limiter.admit(1050).allowed, true, 'the accepted call at 0 left; the refused one never counted')
})

t.test('a changed limit applies to the next call', async (t) => {
  let perSecond = 1
  const limiter = new RateLimiter(() => ({ perSecond, countRefused: false }))
  t.equal(limiter.admit(0).allowed, true)
  t.equal(limiter.admit(1).allowed, false)
  perSecond = 3
  t.equal(limiter.admit(2).allowed, true)
})

t.test('call stats: peak per sliding second, concurrency and reset', async (t) => {
  const stats = new CallStats()
  for (const now of [0, 100, 200, 1150, 1160]) {
    stats.arrive(now)
    stats.finished()
  }
  t.equal(stats.snapshot().peakPerSecond, 3, '0,100,200 — and later 200,1150,1160')
  stats.arrive(2000)
  stats.arrive(2001)
  t.equal(stats.snapshot().peakConcurrency, 2)
  stats.reset()
  t.same(stats.snapshot(), { ...ZERO_COUNTERS, peakConcurrency: 2 })
})
