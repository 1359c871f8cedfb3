// A redis-server of a test's own, on a port of its own, that the test can kill, restart, freeze (SIGSTOP)
// and thaw (SIGCONT): the Redis behind the store as the fault tests meet it. Not a test file (tap includes
// only *.test.ts).
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import { until } from '../faults/helpers.js'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export interface PrivateRedis {
  url: string
  start(): Promise<void>
  kill(): Promise<void>
  /** SIGSTOP: the server keeps its connections open and answers nothing, like a partition or a hung host. */
  freeze(): void
  /** SIGCONT: the server answers again, and runs what it was sent meanwhile. */
  thaw(): void
  /** The keys Redis holds under `prefix` (empty while it is down). */
  keys(prefix: string): Promise<string[]>
  /** Reads a key (its full name, prefix included) through a client of the test's own. */
  read(key: string): Promise<string | null>
}

/** Starts one, and stops it (thawed first if frozen) when `t` ends. */
export async function privateRedis(t: Test): Promise<PrivateRedis> {
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  let frozen = false
  const probe = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => 100 })
  probe.on('error', () => {})
  const signal = (name: 'SIGSTOP' | 'SIGCONT') => {
    if (!child || child.exitCode !== null) throw new Error(`no redis-server to send ${name} to`)
    child.kill(name)
    frozen = name === 'SIGSTOP'
  }
  const redis: PrivateRedis = {
    url,
    async start() {
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      )
      if (probe.status === 'wait') await probe.connect().catch(() => {})
      await until(
        async () => (await probe.ping().catch(() => null)) === 'PONG',
        'redis-server to answer',
        10_000,
      )
    },
    async kill() {
      const dying = child
      child = undefined
      if (!dying || dying.exitCode !== null) return
      if (frozen) dying.kill('SIGCONT')
      frozen = false
      dying.kill('SIGKILL')
      await once(dying, 'exit')
    },
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    async keys(prefix) {
      return (await probe.keys(`${prefix}*`)).map((key) => key.slice(prefix.length)).sort()
    },
    read: (key) => probe.get(key),
  }
  t.teardown(async () => {
    probe.disconnect()
    await redis.kill()
  })
  await redis.start()
  return redis
}
