// Where finished export files are kept so that any replica can serve them, byte for byte.
import type { Readable } from 'node:stream'

export interface ExportFiles {
  readonly kind: 'redis' | 'directory'
  /** Stores the file at `path` (written and closed) as job `id`'s, kept for `ttlMs`. */
  put(id: string, path: string, ttlMs: number): Promise<void>
  /** The stored bytes, or null when there are none (expired, deleted, never written). */
  open(id: string): Promise<Readable | null>
  delete(id: string): Promise<void>
  close(): Promise<void>
}
