// Loaded with `node --import` into a process the benchmark looks inside (BENCH_TRACE_DIR and
// BENCH_TRACE_ROLE set; nothing happens otherwise). Plain JavaScript, so that no TypeScript loader sits in
// the measured process. Appends JSON lines to <dir>/<role>-<pid>.jsonl, times in ms on the wall clock
// (performance.timeOrigin + performance.now(): sub-millisecond, comparable across processes):
//
// - every process: {k:'loop', from, to, maxMs, cpuMs}, the longest event-loop stall of each 100 ms slice
//   with the CPU time the process used in it (all threads), the time its main thread waited runnable for
//   a CPU (a stall with neither was spent blocked in the kernel) and the hypervisor's steal meanwhile;
// - a service: {k:'send', id, path, created, t, ticket}: each outgoing HTTP request gets an x-bench-call
//   header, `created` is when the HTTP client built it and `t` when its first bytes went to the socket
//   (the write to the kernel; for a socket still connecting, `fresh`, when it connected; a request abandoned
//   unsent is not recorded); `ticket` joins it to the rate limiter's Redis commands, {k:'admit', src,
//   member, sent, replied, granted}: the admission granted last before the request was built, per source,
//   and {k:'confirm', src, member, sent}, a late call's re-stamp;
// - a simulator: {k:'arrive', id, path, t}: when a request reached JavaScript (the 'request' event, the
//   same tick in which the simulator's onRequest hook stamps it against the rate limit).
import diagnostics from 'node:diagnostics_channel'
import { appendFileSync, createWriteStream, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'

const dir = process.env.BENCH_TRACE_DIR
const role = process.env.BENCH_TRACE_ROLE

if (dir && role) {
  const file = join(dir, `${role}-${process.pid}.jsonl`)
  const now = () => performance.timeOrigin + performance.now()
  let lines = []
  const record = (entry) => lines.push(`${JSON.stringify(entry)}\n`)
  // Written off the event loop (the thread pool), so that tracing a starved process adds no stall of its
  // own; what is left at exit is written at once.
  const out = createWriteStream(file, { flags: 'a' })
  const take = () => {
    const text = lines.join('')
    lines = []
    return text
  }
  setInterval(() => {
    if (lines.length > 0) out.write(take())
  }, 200).unref()
  process.on('exit', () => {
    if (lines.length > 0) appendFileSync(file, take())
  })

  const delay = monitorEventLoopDelay({ resolution: 5 })
  delay.enable()
  let sliceFrom = now()
  let cpu = process.cpuUsage()
  let steal = stealMs()
  let wait = runQueueWaitMs()
  setInterval(() => {
    const to = now()
    const used = process.cpuUsage(cpu)
    cpu = process.cpuUsage()
    const cpuMs = (used.user + used.system) / 1000
    const stolen = stealMs()
    const waited = runQueueWaitMs()
    record({
      k: 'loop',
      from: sliceFrom,
      to,
      maxMs: delay.max / 1e6,
      cpuMs,
      waitMs: waited - wait,
      stealMs: stolen - steal,
    })
    steal = stolen
    wait = waited
    delay.reset()
    sliceFrom = to
  }, 100).unref()

  if (role === 'service') traceService(record, now)
  if (role === 'simulator') traceSimulator(record, now)
}

/** CPU time the hypervisor took from this machine's CPUs so far (/proc/stat steal, all CPUs), ms. */
function stealMs() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/)
    return Number(fields[8]) * 10
  } catch {
    return 0
  }
}

/**
 * How long the main thread has waited runnable for a CPU so far (/proc/self/schedstat, second field), ms:
 * a stall with no CPU used and no such wait was a block in the kernel, not the scheduler's doing.
 */
function runQueueWaitMs() {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6
  } catch {
    return 0
  }
}

/** Vendor paths by source: which limiter key a request was admitted under. */
function sourceOf(path) {
  if (path.startsWith('/gettoken') || path.startsWith('/attendance/list')) return 'dingtalk'
  if (path.startsWith('/open-apis/')) return 'feishu'
  return undefined
}

function traceService(record, now) {
  const CALL = Symbol('benchCall')
  const confirmed = { dingtalk: [], feishu: [] }
  let next = 0

  diagnostics.subscribe('http.client.request.created', ({ request }) => {
    const id = `${process.pid}-${++next}`
    try {
      request.setHeader('x-bench-call', id)
    } catch {
      return
    }
    const path = String(request.path).split('?', 1)[0]
    const source = sourceOf(path)
    const ticket = source ? confirmed[source].shift() : undefined
    request[CALL] = { id, path, created: now(), ticket }
  })

  const write = net.Socket.prototype.write
  net.Socket.prototype.write = function benchTracedWrite(...args) {
    const call = this._httpMessage?.[CALL]
    if (call && call.t === undefined) {
      call.t = 0
      const fresh = this.connecting
      const sent = () => {
        // Abandoned unsent (its permit went stale, checked on the same 'connect'): never written.
        if (this.destroyed) return
        call.t = now()
        const { id, path, created, ticket } = call
        record({ k: 'send', id, path, created, t: call.t, ticket, fresh })
      }
      if (fresh) this.once('connect', sent)
      else sent()
    }
    return write.apply(this, args)
  }

  // The limiter's Redis commands (ioredis is CommonJS: the service's import shares this instance).
  let Redis
  try {
    Redis = createRequire(import.meta.url)('ioredis').Redis
  } catch {
    return
  }
  const sendCommand = Redis.prototype.sendCommand
  Redis.prototype.sendCommand = function benchTracedSendCommand(command, ...rest) {
    const args = command?.args
    const scripted = args && (command.name === 'evalsha' || command.name === 'eval')
    // confirmSend: [sha, 1, log, member]; admitToWindow: [sha, 2, log, pace, rate, window, member];
    // reserveSend: [sha, 3, slot, log, pace, rate, window, maxWait, member] (admitted when reply[2] is set).
    const keys = scripted ? Number(args[1]) : 0
    const logKey = keys === 3 ? String(args[3]) : keys > 0 ? String(args[2]) : ''
    const match = /ratelimit:\{(feishu|dingtalk):.*\}:log$/.exec(logKey)
    if (match) {
      const src = match[1]
      const sent = now()
      const member = String(args.at(-1))
      if (keys === 1) {
        record({ k: 'confirm', src, member, sent })
      } else {
        command.promise.then(
          (reply) => {
            const granted = keys === 2 ? reply?.[0] === 1 : reply?.[0] === 1 && reply?.[2] !== ''
            // The admission is the permit: the request built next for this source carries its member.
            if (granted && confirmed[src].at(-1) !== member) confirmed[src].push(member)
            record({ k: 'admit', src, member, sent, replied: now(), granted })
          },
          () => {},
        )
      }
    }
    return sendCommand.call(this, command, ...rest)
  }
}

function traceSimulator(record, now) {
  diagnostics.subscribe('http.server.request.start', ({ request }) => {
    const path = String(request.url).split('?', 1)[0]
    if (path.startsWith('/__sim/')) return
    const id = request.headers['x-bench-call']
    record({ k: 'arrive', id: typeof id === 'string' ? id : null, path, t: now() })
  })
}
