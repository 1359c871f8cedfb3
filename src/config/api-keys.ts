// API keys: who may call the attendance API, which sources each key may read, and how fast. Only the keys'
// SHA-256 digests are kept, so a heap dump or a logged config never shows a usable key.
import { createHash, timingSafeEqual } from 'node:crypto'

export interface ApiKey {
  /** Names the key in logs, rate-limit buckets and errors; never the key itself. */
  name: string
  /** Hex SHA-256 of the key. */
  sha256: string
  /** Source ids the key may read; null: every source. */
  sources: string[] | null
  /** Requests a minute for this key; undefined: RATE_LIMIT_PER_MINUTE; 0: unlimited. */
  rateLimitPerMinute?: number
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/** The token of an `Authorization: Bearer <token>` header; null when the header is absent or another scheme. */
export function bearerToken(header: string | undefined): string | null {
  const match = header === undefined ? null : /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(header)
  return match?.[1] ?? null
}

export class ApiKeyRing {
  private readonly entries: { key: ApiKey; digest: Buffer }[]

  constructor(keys: readonly ApiKey[]) {
    this.entries = keys.map((key) => ({ key, digest: Buffer.from(key.sha256, 'hex') }))
  }

  get size(): number {
    return this.entries.length
  }

  /**
   * The key whose digest equals the presented key's. Every configured digest is compared, in constant time
   * and without stopping at a match, so the answer time says nothing about how close a guess was.
   */
  find(presented: string): ApiKey | null {
    const digest = createHash('sha256').update(presented, 'utf8').digest()
    let found: ApiKey | null = null
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest) && found === null) found = entry.key
    }
    return found
  }
}

/** Whether a caller may read a source; `null` is the caller of an open API (no keys configured). */
export function mayReadSource(key: ApiKey | null, sourceId: string): boolean {
  return key === null || key.sources === null || key.sources.includes(sourceId)
}
