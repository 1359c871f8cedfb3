// The circuit breaker in front of the shared store, on a fake shared store whose answers the test decides
// and a test clock: which store serves each operation, when probes go out, and what health() says.
import type { Test } from 'tap'
import t from 'tap'
import { createTestClock } from '../../src/platform/time/clock.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { ResilientStore, type StoreHealth } from '../../src/store/resilient-store.js'
import {
  type PaceChange,
  type SendReservation,
  type SharedStore,
  StoreUnavailableError,
  type WindowAdmission,
} from '../../src/store/shared-store.js'
import { sleep, until } from '../faults/helpers.js'

/** The window guard alone, at `limit` calls per `windowMs`; the admission without the rate it reports. */
async function admit(store: SharedStore, log: string, limit: number, windowMs: number) {
  const { rateInForce: _rate, ...admission } = await store.admitToWindow(
    { log, pace: `${log}:pace` },
    { ratePerSecond: limit, windowMs },
  )
  return admission
}

const LIMITER = { slot: 'limiter', log: 'limiter:log', pace: 'limiter:pace' }
const TEN_A_SECOND = { ratePerSecond: 10, windowMs: 1000 }

/** Answers every call with a value that says it came from here, fails them all, or never answers. */
class FakeSharedStore implements SharedStore {
  readonly kind = 'redis' as const
  readonly calls: string[] = []
  behaviour: 'answer' | 'fail' | 'hang' = 'answer'

  get(key: string) {
    return this.respond('get', `shared:${key}`)
  }
  set() {
    return this.respond('set', undefined)
  }
  delete() {
    return this.respond('delete', undefined)
  }
  deleteIfEquals() {
    return this.respond('deleteIfEquals', true)
  }
  extendIfEquals() {
    return this.respond('extendIfEquals', true)
  }
  setIfAbsent() {
    return this.respond('setIfAbsent', true)
  }
  reserveSend() {
    return this.respond<SendReservation>('reserveSend', { granted: true, waitMs: 7, rateInForce: 10 })
  }
  slowDown() {
    return this.respond<PaceChange>('slowDown', { cut: true, rateInForce: 7 })
  }
  paceInForce() {
    return this.respond('paceInForce', 10)
  }
  admitToWindow() {
    return this.respond<WindowAdmission>('admitToWindow', {
      granted: true,
      waitMs: 0,
      ticket: 'shared',
      rateInForce: 10,
    })
  }
  confirmSend() {
    return this.respond('confirmSend', undefined)
  }
  getEntries(keys: readonly string[]) {
    return this.respond(
      'getEntries',
      keys.map((key) => `shared:${key}`),
    )
  }
  putEntries() {
    return this.respond('putEntries', undefined)
  }
  logAppend() {
    return this.respond('logAppend', '1-0')
  }
  recordOnce() {
    return this.respond<number | null>('recordOnce', 1)
  }
  logRead() {
    return this.respond('logRead', [] as { id: string; fields: Record<string, string> }[])
  }
  indexAdd() {
    return this.respond('indexAdd', undefined)
  }
  indexAddMany() {
    return this.respond('indexAddMany', undefined)
  }
  indexTrim() {
    return this.respond('indexTrim', undefined)
  }
  indexRange() {
    return this.respond('indexRange', [] as string[])
  }
  indexRemove() {
    return this.respond('indexRemove', undefined)
  }
  incrementUnless() {
    return this.respond<number | null>('incrementUnless', 1)
  }
  increment() {
    return this.respond('increment', 1)
  }
  ping() {
    return this.respond('ping', undefined)
  }
  async close() {
    this.calls.push('close')
  }

  /** The calls made since the last time this was asked. */
  takeCalls(): string[] {
    return this.calls.splice(0)
  }

  private respond<T>(call: string, value: T): Promise<T> {
    this.calls.push(call)
    if (this.behaviour === 'fail') return Promise.reject(new StoreUnavailableError('connection lost'))
    if (this.behaviour === 'hang') return new Promise<T>(() => {})
    return Promise.resolve(value)
  }
}

const START = 1_700_000_000_000
const OPEN_MS = 5000
const PROBE_INTERVAL_MS = 1000
const PROBE_TIMEOUT_MS = 20

/** Lets the promise callbacks already queued (a probe's answer) run. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve))

function breaker(t: Test, options: { probeIntervalMs?: number } = {}) {
  const clock = createTestClock(START)
  const shared = new FakeSharedStore()
  const changes: StoreHealth[] = []
  const store = new ResilientStore(shared, {
    expectedReplicas: 2,
    clock,
    openMs: OPEN_MS,
    probeIntervalMs: options.probeIntervalMs ?? PROBE_INTERVAL_MS,
    probeTimeoutMs: PROBE_TIMEOUT_MS,
    onModeChange: (health) => changes.push(health),
  })
  t.teardown(() => store.close())
  return { clock, shared, changes, store }
}

t.test('the first failure opens the breaker; only a probe that answers closes it', async (t) => {
  const { clock, shared, changes, store } = breaker(t)
  t.equal(await store.get('k'), 'shared:k')
  t.same(shared.takeCalls(), ['get'])
  t.same(store.health(), { mode: 'shared', since: START })

  clock.advance(10)
  shared.behaviour = 'fail'
  await store.set('k', 'local', 60_000)
  t.same(shared.takeCalls(), ['set'], 'the failed operation was tried on the shared store once')
  const opened = { mode: 'local-fallback', since: START + 10 }
  t.same(store.health(), opened, 'the first failure opens the breaker')
  t.same(changes, [opened])

  // Redis answers again, but during the open period nothing asks it.
  shared.behaviour = 'answer'
  clock.advance(OPEN_MS - 1)
  t.equal(await store.get('k'), 'local', 'served by the fallback, which holds what was set there')
  const reserve = async () => {
    const { granted, waitMs, rateInForce } = await store.reserveSend(LIMITER, TEN_A_SECOND, 10_000)
    return { granted, waitMs, rateInForce }
  }
  t.same(await reserve(), { granted: true, waitMs: 0, rateInForce: 5 })
  t.same(
    await reserve(),
    { granted: true, waitMs: 200, rateInForce: 5 },
    'locally the rate is divided by the 2 expected replicas: slots twice as far apart',
  )
  t.same(
    await store.slowDown(LIMITER.pace, TEN_A_SECOND, 5),
    { cut: true, rateInForce: 3.5 },
    'a refusal cuts the local share',
  )
  const admissions = [
    await admit(store, 'log', 4, 1000),
    await admit(store, 'log', 4, 1000),
    await admit(store, 'log', 4, 1000),
  ]
  t.same(
    admissions.map(({ granted, waitMs }) => ({ granted, waitMs })),
    [
      { granted: true, waitMs: 0 },
      { granted: true, waitMs: 0 },
      { granted: false, waitMs: 1000 },
    ],
    'locally the window admits 4 / 2 replicas',
  )
  t.equal(await store.setIfAbsent('lock', 'owner', 1000), true)
  t.equal(await store.extendIfEquals('lock', 'owner', 1000), true)
  t.equal(await store.deleteIfEquals('lock', 'owner'), true)
  await store.confirmSend('log', admissions[0]?.ticket as string)
  await store.delete('k')
  await t.rejects(store.ping(), StoreUnavailableError, 'ping says Redis is away, without asking it')
  t.same(shared.takeCalls(), [], 'no operation of the open period touched the shared store')
  t.same(store.health(), opened)

  // The open period is over: the next operation sends a probe and does not wait for it.
  shared.behaviour = 'hang'
  clock.advance(1)
  t.equal(await store.get('k'), null, 'served locally while a probe is out')
  t.same(shared.takeCalls(), ['ping'])
  await store.get('k')
  t.same(shared.takeCalls(), [], 'one probe at a time')
  // Timers of equal duration fire in the order they were set: the probe's deadline has passed after this.
  await sleep(PROBE_TIMEOUT_MS)
  t.same(store.health(), opened, 'a probe that does not answer in time keeps it open')

  shared.behaviour = 'fail'
  clock.advance(PROBE_INTERVAL_MS - 1)
  await store.get('k')
  t.same(shared.takeCalls(), [], 'the next probe waits probeIntervalMs after the last one')
  clock.advance(1)
  await store.get('k')
  t.same(shared.takeCalls(), ['ping'])
  await settled()
  t.same(store.health(), opened, 'a probe that fails keeps it open')
  t.same(changes, [opened])

  shared.behaviour = 'answer'
  clock.advance(PROBE_INTERVAL_MS)
  await t.rejects(store.ping(), StoreUnavailableError, 'still open while the probe is out')
  t.same(shared.takeCalls(), ['ping'], 'the probe')
  await settled()
  const closed = { mode: 'shared', since: START + 10 + OPEN_MS + 2 * PROBE_INTERVAL_MS }
  t.same(store.health(), closed, 'a probe that answers closes it')
  t.same(changes, [opened, closed])

  t.equal(await store.get('k'), 'shared:k')
  t.same(await store.reserveSend(LIMITER, TEN_A_SECOND, 10_000), {
    granted: true,
    waitMs: 7,
    rateInForce: 10,
  })
  t.equal(await store.paceInForce(LIMITER.pace, TEN_A_SECOND), 10)
  await t.resolves(store.ping())
  t.same(
    shared.takeCalls(),
    ['get', 'reserveSend', 'paceInForce', 'ping'],
    'operations go to the shared store again',
  )
})

t.test('a timeout or failure on any operation opens it, ping included', async (t) => {
  const { shared, store } = breaker(t)
  shared.behaviour = 'fail'
  await t.rejects(store.ping(), StoreUnavailableError)
  t.equal(store.health().mode, 'local-fallback')
  shared.behaviour = 'answer'
  t.same(await admit(store, 'log', 2, 1000), { granted: true, waitMs: 0, ticket: '1' })
  t.same(shared.takeCalls(), ['ping'], 'the admission was local')
})

t.test(
  'an error that is not an outage (Redis refusing a command) passes through and opens nothing',
  async (t) => {
    const { shared, store } = breaker(t)
    const refusal = Object.assign(new Error('ERR wrong number of arguments'), { name: 'ReplyError' })
    shared.get = () => Promise.reject(refusal)
    await t.rejects(store.get('k'), refusal)
    t.same(store.health(), { mode: 'shared', since: START })
  },
)

t.test('with no traffic at all, a background timer probes; close() stops it', async (t) => {
  const { clock, shared, store } = breaker(t, { probeIntervalMs: 5 })
  shared.behaviour = 'fail'
  await store.get('k')
  t.equal(store.health().mode, 'local-fallback')
  shared.takeCalls()
  clock.advance(OPEN_MS)
  await until(() => shared.calls.includes('ping'), 'the timer to send a probe')
  await settled()
  t.same(shared.takeCalls(), ['ping'])

  await store.close()
  t.same(shared.takeCalls(), ['close'])
  clock.advance(OPEN_MS)
  // Ten of the timer's intervals: a timer still running would have fired in between.
  await sleep(50)
  t.same(shared.takeCalls(), [], 'no probe after close()')
})

t.test('the probe timer does not keep the process alive', async (t) => {
  const { shared, store } = breaker(t)
  const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length
  const before = timers()
  shared.behaviour = 'fail'
  await store.get('k')
  t.equal(store.health().mode, 'local-fallback')
  t.equal(timers(), before, 'the open breaker added no timer that holds the event loop')
})

t.test('while Redis is away the cache counts as empty and writes are dropped', async (t) => {
  const shared = new FakeSharedStore()
  const clock = createTestClock(START)
  const store = new ResilientStore(shared, {
    expectedReplicas: 3,
    openMs: OPEN_MS,
    probeIntervalMs: PROBE_INTERVAL_MS,
    probeTimeoutMs: PROBE_TIMEOUT_MS,
    clock,
  })
  t.teardown(() => store.close())
  t.same(await store.getEntries(['a', 'b']), ['shared:a', 'shared:b'])
  shared.behaviour = 'fail'
  t.same(await store.getEntries(['a', 'b']), [null, null], 'every entry a miss, no error')
  await store.putEntries([{ key: 'a', value: 'x', generation: 1, ttlMs: 1000 }])
  t.same(await store.getEntries(['a']), [null], 'nothing was kept locally either')
})

t.test('durable: the shared store or an error, never the local fallback', async (t) => {
  const { clock, shared, changes, store } = breaker(t)
  t.equal(await store.durable.get('k'), 'shared:k', 'served by the shared store while it answers')
  t.equal(await store.durable.setIfAbsent('k', 'v', 1000), true)
  t.same(shared.takeCalls(), ['get', 'setIfAbsent'])

  shared.behaviour = 'fail'
  await t.rejects(store.durable.logAppend('feed', { a: '1' }, 1000), StoreUnavailableError)
  t.same(shared.takeCalls(), ['logAppend'], 'tried on the shared store once')
  t.equal(store.health().mode, 'local-fallback', 'and the failure opened the breaker')
  t.equal(changes.length, 1)

  await t.rejects(store.durable.setIfAbsent('k', 'v', 1000), StoreUnavailableError)
  await t.rejects(store.durable.putEntries([]), StoreUnavailableError)
  t.same(shared.takeCalls(), [], 'while open it fails at once, without asking Redis')
  t.same(await store.logRead('feed', null, 10), [], 'the fallback kept nothing of the refused append')
  t.equal(await store.setIfAbsent('k', 'local', 1000), true, 'the fallback still serves the rest')

  shared.behaviour = 'answer'
  clock.advance(OPEN_MS)
  await t.rejects(store.durable.get('k'), StoreUnavailableError, 'the open period is not over for it either')
  await settled()
  await settled()
  t.equal(store.health().mode, 'shared', 'its call sent the probe that closed the breaker')
  t.equal(await store.durable.get('k'), 'shared:k')
  t.equal(store.durable.kind, 'redis', 'properties pass through')
})

t.test('durable of a memory store is the store itself', async (t) => {
  const memory = new MemoryStore()
  t.equal(memory.durable, memory)
})
