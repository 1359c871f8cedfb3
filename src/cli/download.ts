// The export file onto disk, checked. It is written to `<out>.part` and hashed as it streams; only a file
// whose sha256 is the one the job announced is renamed to `<out>`, so `<out>` is never half a file or a
// corrupt one, and a previous good `<out>` survives a failed download.
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream } from 'node:stream/web'
import { CliError, EXIT } from './exit-codes.js'

export interface SavedFile {
  path: string
  bytes: number
  sha256: string
}

export async function saveVerified(
  body: ReadableStream<Uint8Array> | globalThis.ReadableStream<Uint8Array>,
  out: string,
  expectedSha256: string,
): Promise<SavedFile> {
  const part = `${out}.part`
  const hash = createHash('sha256')
  let bytes = 0
  try {
    await pipeline(
      Readable.fromWeb(body as ReadableStream<Uint8Array>),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk)
          bytes += chunk.length
          yield chunk
        }
      },
      createWriteStream(part),
    )
  } catch (error) {
    await rm(part, { force: true })
    throw new CliError(`download failed: ${(error as Error).message}`, EXIT.http)
  }
  const sha256 = hash.digest('hex')
  if (sha256 !== expectedSha256.toLowerCase()) {
    await rm(part, { force: true })
    throw new CliError(
      `sha256 mismatch: the service announced ${expectedSha256}, the ${bytes} bytes received hash to ${sha256}; the download was deleted`,
      EXIT.checksum,
    )
  }
  await rename(part, out)
  return { path: out, bytes, sha256 }
}
