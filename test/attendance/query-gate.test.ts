// QueryGate: at most maxRunning places run, at most maxQueued wait, in order; a place that leaves its
// queue before its turn gives nothing away; every place given back lets the next one run.
import t from 'tap'
import { QueryGate } from '../../src/domain/attendance/query-gate.js'

const never = new AbortController().signal
const settled = () => new Promise((resolve) => setImmediate(resolve))

t.test('runs two, queues one, refuses the fourth; hands places on in order', async (t) => {
  const gate = new QueryGate(2, 1)
  const a = gate.enter()
  const b = gate.enter()
  const c = gate.enter()
  t.ok(a && b && c)
  t.equal(gate.enter(), null, 'the queue is full')
  t.same(gate.load, { running: 2, queued: 1 })
  let cRuns = false
  void c?.turn(never).then(() => {
    cRuns = true
  })
  await settled()
  t.equal(cRuns, false, 'c waits')
  a?.leave()
  a?.leave() // twice is once
  await settled()
  t.equal(cRuns, true, 'c runs when a leaves')
  t.same(gate.load, { running: 2, queued: 0 })
  b?.leave()
  c?.leave()
  t.same(gate.load, { running: 0, queued: 0 })
})

t.test('a queued place whose caller leaves is taken out of the queue', async (t) => {
  const gate = new QueryGate(1, 2)
  const running = gate.enter()
  const queued = gate.enter()
  const later = gate.enter()
  const gone = new AbortController()
  const turn = queued?.turn(gone.signal)
  gone.abort(new Error('client went away'))
  await t.rejects(turn as Promise<void>, { message: 'client went away' })
  queued?.leave()
  t.same(gate.load, { running: 1, queued: 1 })
  let laterRuns = false
  void later?.turn(never).then(() => {
    laterRuns = true
  })
  running?.leave()
  await settled()
  t.equal(laterRuns, true, 'the next place runs, not the one that left')
  later?.leave()
  t.same(gate.load, { running: 0, queued: 0 })
})
