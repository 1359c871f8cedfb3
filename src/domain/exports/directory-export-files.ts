// Export files in a local directory: the embedded mode (no REDIS_URL), where the one process that ran a job
// is also the one that serves it. Expired files are swept once a minute and refused on open.
import { createReadStream } from 'node:fs'
import { copyFile, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { ExportFiles } from './export-files.js'

const SWEEP_INTERVAL_MS = 60_000

export class DirectoryExportFiles implements ExportFiles {
  readonly kind = 'directory' as const
  private readonly expiries = new Map<string, number>()
  private readonly sweeper: NodeJS.Timeout

  constructor(
    private readonly directory: string,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS)
    this.sweeper.unref()
  }

  async put(id: string, path: string, ttlMs: number): Promise<void> {
    await mkdir(this.directory, { recursive: true })
    await copyFile(path, this.pathOf(id))
    this.expiries.set(id, this.now() + ttlMs)
  }

  async open(id: string): Promise<Readable | null> {
    const expiresAt = this.expiries.get(id)
    if (expiresAt === undefined) return null
    if (expiresAt <= this.now()) {
      await this.delete(id)
      return null
    }
    return createReadStream(this.pathOf(id))
  }

  async delete(id: string): Promise<void> {
    this.expiries.delete(id)
    await rm(this.pathOf(id), { force: true })
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper)
  }

  private async sweep(): Promise<void> {
    const now = this.now()
    for (const [id, expiresAt] of this.expiries) if (expiresAt <= now) await this.delete(id)
  }

  private pathOf(id: string): string {
    return join(this.directory, id.replace(/[^A-Za-z0-9_-]/g, '_'))
  }
}
