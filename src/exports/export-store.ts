// Export jobs in the shared store, so that every replica sees the same ones: the record of each job, the
// index of each API key's jobs (newest first), the cancel flag a DELETE raises for whichever replica runs
// the job, and the Idempotency-Key claims. Everything lives the file's TTL plus a week, so that a GET after
// the file expired still says 410, not 404.
import type { SharedStore } from '../store/shared-store.js'
import type { ExportRecord } from './export-record.js'

const WEEK_MS = 7 * 24 * 3600 * 1000
/** The newest jobs of a key that GET /attendance/exports lists. */
export const LISTED_JOBS = 100

export class ExportStore {
  readonly recordTtlMs: number

  constructor(
    private readonly store: SharedStore,
    fileTtlMs: number,
  ) {
    this.recordTtlMs = fileTtlMs + WEEK_MS
  }

  async get(id: string): Promise<ExportRecord | null> {
    const text = await this.store.get(recordKey(id))
    return text === null ? null : (JSON.parse(text) as ExportRecord)
  }

  async save(record: ExportRecord): Promise<void> {
    await this.store.set(recordKey(record.id), JSON.stringify(record), this.recordTtlMs)
  }

  /** A new job: its record, then its place in the owner's index. */
  async create(record: ExportRecord): Promise<void> {
    await this.save(record)
    await this.store.indexAdd(ownerKey(record.owner), record.id, record.createdAt, this.recordTtlMs)
  }

  /** The owner's jobs, newest first (records already gone are skipped). */
  async list(owner: string, limit = LISTED_JOBS): Promise<ExportRecord[]> {
    const ids = await this.store.indexRange(ownerKey(owner), limit)
    const records = await Promise.all(ids.map((id) => this.get(id)))
    return records.filter((record): record is ExportRecord => record !== null)
  }

  async remove(record: ExportRecord): Promise<void> {
    await this.store.delete(recordKey(record.id))
    await this.store.delete(cancelKey(record.id))
    await this.store.indexRemove(ownerKey(record.owner), record.id)
  }

  async requestCancel(id: string): Promise<void> {
    await this.store.set(cancelKey(id), '1', this.recordTtlMs)
  }

  async cancelRequested(id: string): Promise<boolean> {
    return (await this.store.get(cancelKey(id))) !== null
  }

  /**
   * Claims an Idempotency-Key for a job: resolves to null when this call claimed it, else to the earlier
   * claim (`jobId` and the hash of the body it was made with).
   */
  async claimIdempotencyKey(
    owner: string,
    keyHash: string,
    claim: { jobId: string; bodyHash: string },
  ): Promise<{ jobId: string; bodyHash: string } | null> {
    const key = `export:idempotency:${owner}:${keyHash}`
    const value = JSON.stringify(claim)
    if (await this.store.setIfAbsent(key, value, this.recordTtlMs)) return null
    const held = await this.store.get(key)
    return held === null ? null : (JSON.parse(held) as { jobId: string; bodyHash: string })
  }
}

// One hash tag per job, so that a Redis Cluster keeps a job's keys together.
const recordKey = (id: string) => `export:{${id}}:record`
const cancelKey = (id: string) => `export:{${id}}:cancel`
const ownerKey = (owner: string) => `export:owner:${owner}`
