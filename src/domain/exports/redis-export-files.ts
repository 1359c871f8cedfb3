// Export files in Redis, gzip-compressed in chunks that expire with the job's TTL: every replica can serve
// any file without a shared volume, and Redis is already what the replicas share. CSV and JSON shrink about
// tenfold; an XLSX is a zip already and is stored nearly as is. Chunks keep each command small, so one big
// file never holds up the other Redis commands, and are written before the count that makes them visible.
// Its client fails commands at once while disconnected (no offline queue), so each use first waits a
// moment for the connection (a client just made, or reconnecting); a Redis that does not answer is a
// StoreUnavailableError, which the routes answer with 503.
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'
import { type RedisClient, waitUntilReady } from '../../store/redis-connection.js'
import { StoreUnavailableError } from '../../store/shared-store.js'
import type { ExportFiles } from './export-files.js'

const CHUNK_BYTES = 1024 * 1024
/**
 * Chunks outlive their count: written first with the same TTL they would expire a few ms before it, and a
 * file opened in that gap would fail half-way instead of being gone (410). The margin also lets a download
 * begun just before the count expired finish.
 */
const CHUNK_GRACE_MS = 60_000
/** How long a use waits for the connection to be up: a connect or reconnect, not an outage. */
const READY_WAIT_MS = 2000

export class RedisExportFiles implements ExportFiles {
  readonly kind = 'redis' as const

  constructor(private readonly redis: RedisClient) {}

  async put(id: string, path: string, ttlMs: number): Promise<void> {
    await this.ready()
    const ttl = Math.max(1, Math.ceil(ttlMs))
    let index = 0
    let pending: Buffer[] = []
    let pendingBytes = 0
    const flush = async () => {
      if (pendingBytes === 0) return
      const chunk = Buffer.concat(pending)
      await this.command(() => this.redis.set(chunkKey(id, index++), chunk, 'PX', ttl + CHUNK_GRACE_MS))
      pending = []
      pendingBytes = 0
    }
    await pipeline(createReadStream(path), createGzip(), async (compressed: AsyncIterable<Buffer>) => {
      for await (const piece of compressed) {
        pending.push(piece)
        pendingBytes += piece.length
        if (pendingBytes >= CHUNK_BYTES) await flush()
      }
      await flush()
    })
    await this.command(() => this.redis.set(countKey(id), String(index), 'PX', ttl))
  }

  async open(id: string): Promise<Readable | null> {
    await this.ready()
    const count = await this.command(() => this.redis.get(countKey(id)))
    if (count === null) return null
    const chunks = Number(count)
    const redis = this.redis
    async function* compressed() {
      for (let index = 0; index < chunks; index++) {
        const chunk = await redis.getBuffer(chunkKey(id, index))
        // A chunk gone before its count (expired a moment apart): the file is cut, so fail the stream.
        if (chunk === null) throw new Error(`export file ${id} expired while it was being read`)
        yield chunk
      }
    }
    const source = Readable.from(compressed())
    const gunzip = createGunzip()
    source.once('error', (error) => gunzip.destroy(error))
    return source.pipe(gunzip)
  }

  async delete(id: string): Promise<void> {
    await this.ready()
    const count = Number((await this.command(() => this.redis.get(countKey(id)))) ?? 0)
    await this.command(() => this.redis.del(countKey(id)))
    for (let index = 0; index < count; index++) await this.command(() => this.redis.del(chunkKey(id, index)))
  }

  /** Waits for the connection to be up (a client just made, or reconnecting). */
  private async ready(): Promise<void> {
    if (!(await waitUntilReady(this.redis, READY_WAIT_MS))) {
      throw new StoreUnavailableError(`the connection for export files is ${this.redis.status}`)
    }
  }

  /** One command; Redis not answering (closed, timed out) is a StoreUnavailableError. */
  private async command<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send()
    } catch (error) {
      // A ReplyError is Redis refusing a command (a bug here), not Redis being away.
      if (error instanceof Error && error.name === 'ReplyError') throw error
      throw new StoreUnavailableError(error)
    }
  }

  async close(): Promise<void> {
    // quit() waits for a Redis that may be away; disconnect() also stops the reconnecting.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => {})
    this.redis.disconnect()
  }
}

// One hash tag per job, as for its record: a cluster keeps the file beside it.
const countKey = (id: string) => `export:{${id}}:file`
const chunkKey = (id: string, index: number) => `export:{${id}}:file:${index}`
