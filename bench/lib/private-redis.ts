// A redis-server of the benchmark's own on a free loopback port: memory figures (INFO used_memory) that no
// other client moves, and a hundred megabytes of entries that never crowd the Redis others test against.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { Redis } from 'ioredis'

export interface PrivateRedis {
  url: string
  /** A client of the benchmark's own, without key prefix. */
  client: Redis
  stop(): Promise<void>
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  let spawnError: Error | undefined
  child.once('error', (error) => {
    spawnError = error
  })
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => 100, maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  const giveUp = Date.now() + 10_000
  for (;;) {
    if (spawnError) throw new Error(`redis-server did not start: ${spawnError.message}`)
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode})`)
    if (Date.now() > giveUp) {
      child.kill('SIGKILL')
      throw new Error('redis-server did not answer within 10 s')
    }
    if (client.status === 'wait' || client.status === 'end') await client.connect().catch(() => {})
    if ((await client.ping().catch(() => null)) === 'PONG') break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    url,
    client,
    stop: async () => {
      client.disconnect()
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await once(child, 'exit')
    },
  }
}

/** Bytes Redis has allocated (INFO memory used_memory). */
export async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory')
  const match = /^used_memory:(\d+)/m.exec(info)
  if (!match) throw new Error('no used_memory in INFO memory')
  return Number(match[1])
}

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

/** Calls of every command since the server started (INFO commandstats), by lower-case name. */
export async function commandCalls(client: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>()
  for (const match of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(match[1] as string, Number(match[2]))
  }
  return calls
}

/**
 * The commands sent between two commandstats readings, per request: "mget 1.00, evalsha 2.00" (largest
 * first; INFO itself and commands of under 0.01 a request left out), and their total per request.
 */
export function callsPerRequest(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  requests: number,
): { total: number; text: string } {
  const each = [...after]
    .filter(([name]) => name !== 'info')
    .map(([name, calls]) => [name, (calls - (before.get(name) ?? 0)) / Math.max(requests, 1)] as const)
    .filter(([, perRequest]) => perRequest >= 0.01)
    .sort((a, b) => b[1] - a[1])
  return {
    total: each.reduce((sum, [, perRequest]) => sum + perRequest, 0),
    text:
      each.length > 0
        ? each.map(([name, perRequest]) => `${name} ${perRequest.toFixed(2)}`).join(', ')
        : 'none',
  }
}
