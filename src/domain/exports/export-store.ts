// Export jobs in the shared store, so that every replica sees the same ones: the record of each job, the
// index of each API key's jobs (newest first), the cancel flag a DELETE raises for whichever replica runs
// the job, and the Idempotency-Key claims. Everything lives the file's TTL plus a week, so that a GET after
// the file expired still says 410, not 404. It is given the store's durable view: while Redis is away every
// operation fails (StoreUnavailableError) instead of reading or writing one replica's memory, so a job is
// in Redis with its owner's index entry, or it does not exist.
import type { SharedStore } from '../../store/shared-store.js'
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

  /** Deletes the job: its record, cancel flag, index entry, and the Idempotency-Key claim that named it. */
  async remove(record: ExportRecord): Promise<void> {
    await this.store.delete(recordKey(record.id))
    await this.store.delete(cancelKey(record.id))
    await this.store.indexRemove(ownerKey(record.owner), record.id)
    if (record.idempotencyKeyHash !== undefined) {
      await this.releaseClaim(record.owner, record.idempotencyKeyHash, record.id)
    }
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
    claim: IdempotencyClaim,
  ): Promise<IdempotencyClaim | null> {
    const key = claimKey(owner, keyHash)
    if (await this.store.setIfAbsent(key, JSON.stringify(claim), this.recordTtlMs)) return null
    const held = await this.store.get(key)
    return held === null ? null : (JSON.parse(held) as IdempotencyClaim)
  }

  /**
   * A claim whose job is gone (deleted, expired) made over to a new job: resolves to the claim in force
   * after it, this one, or another request's that replaced the stale claim first.
   */
  async replaceStaleClaim(
    owner: string,
    keyHash: string,
    staleJobId: string,
    claim: IdempotencyClaim,
  ): Promise<IdempotencyClaim> {
    await this.releaseClaim(owner, keyHash, staleJobId)
    return (await this.claimIdempotencyKey(owner, keyHash, claim)) ?? claim
  }

  /** Frees the key for a new job, unless it already names another one. */
  private async releaseClaim(owner: string, keyHash: string, jobId: string): Promise<void> {
    const key = claimKey(owner, keyHash)
    const held = await this.store.get(key)
    if (held !== null && (JSON.parse(held) as IdempotencyClaim).jobId === jobId) {
      await this.store.deleteIfEquals(key, held)
    }
  }
}

/** An Idempotency-Key's claim: the job it names and the hash of the body it was sent with. */
export interface IdempotencyClaim {
  jobId: string
  bodyHash: string
}

// One hash tag per job, so that a Redis Cluster keeps a job's keys together.
const recordKey = (id: string) => `export:{${id}}:record`
const cancelKey = (id: string) => `export:{${id}}:cancel`
const ownerKey = (owner: string) => `export:owner:${owner}`
const claimKey = (owner: string, keyHash: string) => `export:idempotency:${owner}:${keyHash}`
