// Replicas of the real service (src/service/server.ts) as processes that a test can SIGKILL or SIGTERM, each in a
// process group of its own, on the machine's Redis under a key prefix of the test's own; the sources file
// and API key they share; and the HTTP calls an export test makes. Not a test file (tap includes only
// *.test.ts).
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import type { ExportJob } from '../../src/schemas/export.js'
import type { Simulators } from '../helpers/integration.js'
import { LOAD_SHEDDING_OFF_ENV } from '../helpers/load-shedding-off.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { sleep, until } from './helpers.js'

const root = new URL('../../', import.meta.url)
export const API_KEY = 'export-takeover-test-key'

/** Replicas still running: should this process end without its teardowns, they do not outlive it. */
const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) {
    try {
      process.kill(-(child.pid as number), 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
})

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** A sources file for both simulators, as an operator writes one; `rates` paces each source's calls. */
export function writeSourcesFile(
  t: Test,
  simulators: Simulators,
  rates: { feishu: number; dingtalk: number },
): string {
  const path = join(t.testdir(), 'sources.json')
  const sources = [
    {
      id: 'feishu',
      vendor: 'feishu',
      baseUrl: simulators.feishu.url,
      appId: simulators.feishu.credentials.appId,
      appSecret: simulators.feishu.credentials.appSecret,
      rateLimitPerSecond: rates.feishu,
    },
    {
      id: 'dingtalk',
      vendor: 'dingtalk',
      baseUrl: simulators.dingtalk.url,
      appKey: simulators.dingtalk.credentials.appKey,
      appSecret: simulators.dingtalk.credentials.appSecret,
      rateLimitPerSecond: rates.dingtalk,
      // The test asks for fixed dates of 2024, which the vendor's half-year retention would refuse.
      retentionDays: 0,
    },
  ]
  writeFileSync(path, JSON.stringify({ sources }, null, 2))
  return path
}

export interface Fleet {
  redisUrl: string
  prefix: string
  sourcesFile: string
  /** The replicas started on this fleet: killed before its keys are deleted. */
  replicas: Replica[]
  /** The record of a job as the replicas keep it in Redis (attempts included), read without a replica. */
  record(id: string): Promise<{ status: string; attempts: number } | null>
}

/** A Redis key prefix of the test's own, whose keys are deleted when the test ends. */
export async function fleetFor(t: Test, sourcesFile: string): Promise<Fleet> {
  const prefix = uniquePrefix()
  const redis = new Redis(testRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  await redis.connect()
  const replicas: Replica[] = []
  t.teardown(async () => {
    // Whatever the order of the teardowns, no replica writes under the prefix once its keys are gone.
    await Promise.all(replicas.map((replica) => replica.kill()))
    const keys: string[] = []
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1000 })) {
      keys.push(...(batch as string[]))
    }
    if (keys.length > 0) await redis.unlink(...keys)
    redis.disconnect()
  })
  return {
    redisUrl: testRedisUrl,
    prefix,
    sourcesFile,
    replicas,
    async record(id) {
      const text = await redis.get(`${prefix}export:{${id}}:record`)
      return text === null ? null : (JSON.parse(text) as { status: string; attempts: number })
    },
  }
}

export interface Replica {
  name: string
  port: number
  child: ChildProcess
  output: { text: string }
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>
  alive(): boolean
  /** SIGKILL to the replica's whole process group. */
  kill(): Promise<void>
}

/** Starts src/service/server.ts as a process of its own and waits until it answers /readyz. */
export async function startReplica(
  t: Test,
  fleet: Fleet,
  name: string,
  env: Record<string, string> = {},
): Promise<Replica> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import=tsx', 'src/service/server.ts'], {
    cwd: root,
    // A group of its own: the replica and anything it starts are killed together.
    detached: true,
    env: {
      PATH: process.env.PATH ?? '',
      ...LOAD_SHEDDING_OFF_ENV,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      REDIS_URL: fleet.redisUrl,
      REDIS_KEY_PREFIX: fleet.prefix,
      SOURCES_FILE: fleet.sourcesFile,
      API_KEYS: API_KEY,
      // The test polls several times a second.
      RATE_LIMIT_PER_MINUTE: '0',
      EXPORT_LOCK_SECONDS: '2',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = { text: '' }
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk) => {
      output.text += chunk.toString()
    })
  }
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    at: Date.now(),
  }))
  const alive = () => child.exitCode === null && child.signalCode === null
  const kill = async () => {
    if (!alive()) return
    try {
      process.kill(-(child.pid as number), 'SIGKILL')
    } catch {
      // Already gone.
    }
    await exited
  }
  const replica: Replica = { name, port, child, output, exited, alive, kill }
  fleet.replicas.push(replica)
  live.add(child)
  void exited.then(() => live.delete(child))
  t.teardown(kill)
  await until(
    async () => {
      if (!alive()) throw new Error(`replica ${name} exited while starting:\n${output.text}`)
      const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null)
      return response?.status === 200
    },
    `replica ${name} to be ready`,
    30_000,
  )
  return replica
}

const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }

export async function api(replica: Replica, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${replica.port}${path}`, {
    ...init,
    headers: { ...headers, ...(init.headers as Record<string, string> | undefined) },
  })
}

export async function postExport(replica: Replica, body: Record<string, unknown>): Promise<ExportJob> {
  const response = await api(replica, '/attendance/exports', { method: 'POST', body: JSON.stringify(body) })
  if (response.status !== 202)
    throw new Error(`POST /attendance/exports: ${response.status} ${await response.text()}`)
  return (await response.json()) as ExportJob
}

/** The job as one replica shows it; null when that replica does not answer (it is dead). */
export async function getExport(replica: Replica, id: string): Promise<ExportJob | null> {
  const response = await api(replica, `/attendance/exports/${id}`).catch(() => null)
  if (!response) return null
  if (response.status !== 200) throw new Error(`GET export: ${response.status} ${await response.text()}`)
  return (await response.json()) as ExportJob
}

/**
 * Watches a job from the moment it is posted: polls it every `everyMs` on the first live replica of
 * `replicas()` (a replica that is closing or dead gives no view) and keeps every view, so that a test can
 * check what was shown all along, not only at the moments it waits for.
 */
export class JobWatch {
  readonly seen: ExportJob[]
  private stopped = false
  private readonly loop: Promise<void>

  constructor(
    private readonly replicas: () => Replica[],
    readonly job: ExportJob,
    everyMs = 100,
  ) {
    this.seen = [job]
    this.loop = this.poll(everyMs)
  }

  private async poll(everyMs: number): Promise<void> {
    while (!this.stopped) {
      const replica = this.replicas().find((candidate) => candidate.alive())
      const view = replica ? await getExport(replica, this.job.id).catch(() => null) : null
      if (view && !this.stopped) this.seen.push(view)
      await sleep(everyMs)
    }
  }

  get last(): ExportJob {
    return this.seen.at(-1) as ExportJob
  }

  /** Resolves to the first view from now on for which `condition` holds; fails after `timeoutMs`. */
  async until(condition: (view: ExportJob) => boolean, what: string, timeoutMs: number): Promise<ExportJob> {
    const deadline = Date.now() + timeoutMs
    let from = this.seen.length - 1
    for (;;) {
      for (; from < this.seen.length; from++) {
        const view = this.seen[from] as ExportJob
        if (condition(view)) return view
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; last view: ${JSON.stringify(this.last)}`)
      }
      await sleep(20)
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.loop
  }
}
