// A Redis Cluster and a Sentinel-managed master of a test's own, from the machine's redis-server and
// redis-cli, on free loopback ports, stopped when the test ends. Not a test file (tap includes only
// *.test.ts).
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import type { RedisAddress, RedisSettings } from '../../src/config/config.js'
import { until } from '../faults/helpers.js'

const run = promisify(execFile)

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

const taken = new Set<number>()

/** A free port below 55535 whose cluster bus port (port + 10000) is free too. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000)
    if (taken.has(port)) continue
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) {
      taken.add(port)
      return port
    }
  }
}

/** redis-cli against a loopback port; its output, or '' when it fails (a server not up yet). */
export async function cli(port: number, ...args: string[]): Promise<string> {
  try {
    return (await run('redis-cli', ['-p', String(port), ...args])).stdout
  } catch {
    return ''
  }
}

interface Server {
  port: number
  child: ChildProcess
}

function startServer(args: string[], cwd: string): ChildProcess {
  return spawn('redis-server', args, { stdio: 'ignore', cwd })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGKILL')
  await once(child, 'exit')
}

function workDirectory(t: Test, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface RedisClusterUnderTest {
  settings: RedisSettings
  masters: number[]
  /** Keys each master holds (DBSIZE), in the order of `masters`. */
  keysPerMaster(): Promise<number[]>
  /** The port of the master that serves `key`'s slot. */
  masterOf(key: string): Promise<number>
  /** Keys matching `pattern` on each master (SCAN), in the order of `masters`. */
  matchingPerMaster(pattern: string): Promise<number[]>
}

/** Three masters, no replicas, all 16384 slots assigned; `cluster info` says ok on every node. */
export async function redisCluster(t: Test, size = 3): Promise<RedisClusterUnderTest> {
  const dir = workDirectory(t, 'redis-cluster')
  const servers: Server[] = []
  t.teardown(async () => {
    await Promise.all(servers.map((server) => stop(server.child)))
  })
  for (let index = 0; index < size; index++) {
    const port = await freePort()
    const child = startServer(
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '2000',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      dir,
    )
    servers.push({ port, child })
  }
  const masters = servers.map((server) => server.port)
  for (const port of masters) {
    await until(async () => (await cli(port, 'ping')).trim() === 'PONG', `redis-server ${port} to answer`)
  }
  await run('redis-cli', [
    '--cluster',
    'create',
    ...masters.map((port) => `127.0.0.1:${port}`),
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ])
  for (const port of masters) {
    await until(
      async () => (await cli(port, 'cluster', 'info')).includes('cluster_state:ok'),
      `node ${port} to see the cluster ok`,
      20_000,
    )
  }
  return {
    settings: { mode: 'cluster', nodes: masters.map((port) => ({ host: '127.0.0.1', port })), tls: false },
    masters,
    keysPerMaster: () => Promise.all(masters.map(async (port) => Number((await cli(port, 'dbsize')).trim()))),
    async masterOf(key) {
      const slot = Number((await cli(masters[0] as number, 'cluster', 'keyslot', key)).trim())
      // `cluster nodes`: <id> <host:port@bus> <flags> <master> <ping> <pong> <epoch> <state> <slot ranges…>
      for (const line of (await cli(masters[0] as number, 'cluster', 'nodes')).trim().split('\n')) {
        const fields = line.split(' ')
        const port = Number(fields[1]?.split('@')[0]?.split(':')[1])
        for (const range of fields.slice(8)) {
          const [low = -1, high = low] = range.split('-').map(Number)
          if (low !== undefined && slot >= low && slot <= high) return port
        }
      }
      throw new Error(`no master serves slot ${slot}`)
    },
    matchingPerMaster: (pattern) =>
      Promise.all(
        masters.map(async (port) => {
          const out = (await cli(port, '--scan', '--pattern', pattern)).trim()
          return out === '' ? 0 : out.split('\n').length
        }),
      ),
  }
}

export interface SentinelSetUnderTest {
  settings: RedisSettings
  /** The port of the master the sentinels report now. */
  master(): Promise<number>
  /** SIGKILL to the master of now; resolves once the process is gone. */
  killMaster(): Promise<number>
}

const GROUP = 'mymaster'

/** One master, one replica, three sentinels (quorum 2), failing over a second after the master goes. */
export async function sentinelSet(t: Test): Promise<SentinelSetUnderTest> {
  const dir = workDirectory(t, 'redis-sentinel')
  const children = new Map<number, ChildProcess>()
  t.teardown(async () => {
    await Promise.all([...children.values()].map(stop))
  })
  const dataArgs = (port: number) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]
  const masterPort = await freePort()
  const replicaPort = await freePort()
  children.set(masterPort, startServer(dataArgs(masterPort), dir))
  children.set(
    replicaPort,
    startServer([...dataArgs(replicaPort), '--replicaof', '127.0.0.1', String(masterPort)], dir),
  )
  await until(
    async () => (await cli(replicaPort, 'info', 'replication')).includes('master_link_status:up'),
    'the replica to follow the master',
  )
  const sentinels: RedisAddress[] = []
  for (let index = 0; index < 3; index++) {
    const port = await freePort()
    const conf = join(dir, `sentinel-${port}.conf`)
    // Sentinel rewrites its configuration file (what it learns): it must be a file of its own, writable.
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${GROUP} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${GROUP} 1000`,
        `sentinel failover-timeout ${GROUP} 3000`,
        '',
      ].join('\n'),
    )
    children.set(port, startServer([conf, '--sentinel'], dir))
    sentinels.push({ host: '127.0.0.1', port })
  }
  // A failover needs every sentinel to know the replica and its two peers (hello messages, every 2 s).
  for (const { port } of sentinels) {
    await until(
      async () => {
        const replicas = await cli(port, 'sentinel', 'replicas', GROUP)
        const peers = await cli(port, 'sentinel', 'sentinels', GROUP)
        return replicas.includes(String(replicaPort)) && (peers.match(/^name$/gm)?.length ?? 0) === 2
      },
      `sentinel ${port} to know the replica and its peers`,
      20_000,
    )
  }
  const master = async () => {
    const reply = await cli(sentinels[0]?.port as number, 'sentinel', 'get-master-addr-by-name', GROUP)
    return Number(reply.trim().split('\n')[1])
  }
  return {
    settings: { mode: 'sentinel', sentinels, name: GROUP, tls: false },
    master,
    async killMaster() {
      const port = await master()
      const child = children.get(port)
      if (child) await stop(child)
      return port
    },
  }
}
