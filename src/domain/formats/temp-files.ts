// Temporary files of this process in one private directory: each is removed when its answer is sent, the
// client goes away or the query fails, and whatever is left goes with the directory when the app closes
// (SIGTERM included). A crash leaves the directory in the OS temp dir, which is cleared by the OS.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export class TempFiles {
  readonly directory: string
  private readonly live = new Set<string>()

  constructor(parent: string = tmpdir()) {
    this.directory = mkdtempSync(join(parent, 'attendance-'))
  }

  /** A fresh path in the directory; nothing is created until the caller writes it. */
  create(extension: string): string {
    const path = join(this.directory, `${randomUUID()}.${extension}`)
    this.live.add(path)
    return path
  }

  async remove(path: string): Promise<void> {
    this.live.delete(path)
    await rm(path, { force: true })
  }

  /** Paths created and not yet removed. */
  get count(): number {
    return this.live.size
  }

  /** Removes the directory and everything in it. */
  removeAll(): void {
    this.live.clear()
    rmSync(this.directory, { recursive: true, force: true })
  }
}
