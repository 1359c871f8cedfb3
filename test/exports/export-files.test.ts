// Where finished export files are kept: in Redis (gzip chunks, real Redis under a key prefix of its own)
// and in a local directory (expiry on an injected clock). Both give back the very bytes they were given.
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { DirectoryExportFiles } from '../../src/domain/exports/directory-export-files.js'
import { RedisExportFiles } from '../../src/domain/exports/redis-export-files.js'
import { createRedisConnection } from '../../src/store/redis-connection.js'
import { sleep } from '../faults/helpers.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'

const MiB = 1024 * 1024

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts)
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

/** A file of random bytes (gzip cannot shrink them: the stored form is as big as the file). */
async function randomFile(t: Test, bytes: number) {
  const directory = await mkdtemp(join(tmpdir(), 'export-files-'))
  t.teardown(() => rm(directory, { recursive: true, force: true }))
  const data = randomBytes(bytes)
  const path = join(directory, 'answer.bin')
  await writeFile(path, data)
  return { path, data, directory }
}

async function polled<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 5000,
) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

t.test('RedisExportFiles', async (t) => {
  const prefix = uniquePrefix()
  const redis = createRedisConnection({ url: testRedisUrl, keyPrefix: prefix, commandTimeoutMs: 10_000 })
  const files = new RedisExportFiles(redis)
  t.teardown(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(prefix.length)))
    await files.close()
  })
  t.equal(files.kind, 'redis')

  t.test('a file of more than 2 MiB comes back byte for byte, from several chunks', async (t) => {
    const { path, data } = await randomFile(t, 2 * MiB + 12_345)
    await files.put('job-big', path, 60_000)
    t.equal(Number(await redis.get('export:{job-big}:file')), 3, '1 MiB chunks: three of them')
    const countTtl = await redis.pttl('export:{job-big}:file')
    t.ok(countTtl > 50_000 && countTtl <= 60_000, `the file expires after its TTL (${countTtl} ms)`)
    const chunkTtls = await Promise.all(
      [0, 1, 2].map((index) => redis.pttl(`export:{job-big}:file:${index}`)),
    )
    t.ok(
      chunkTtls.every((ttl) => ttl > countTtl),
      `its chunks outlive the count that makes them visible (${chunkTtls.join(', ')} ms)`,
    )
    const back = await readAll((await files.open('job-big')) as Readable)
    t.equal(back.length, data.length)
    t.equal(sha256(back), sha256(data))
    t.ok(back.equals(data), 'identical bytes')
    const again = await readAll((await files.open('job-big')) as Readable)
    t.ok(again.equals(data), 'and again: reading does not consume the file')
  })

  t.test('a text file is stored compressed and read back as it was', async (t) => {
    const { path, directory } = await randomFile(t, 0)
    const text = Buffer.from('source,userId,workDate\r\nfeishu,u1,2024-05-06\r\n'.repeat(20_000))
    await writeFile(path, text)
    await files.put('job-text', path, 60_000)
    t.equal(await redis.get('export:{job-text}:file'), '1', 'about 1 MB of CSV fits one compressed chunk')
    const stored = (await redis.getBuffer('export:{job-text}:file:0')) as Buffer
    t.ok(stored.length < text.length / 10, `${text.length} bytes stored as ${stored.length}`)
    t.ok((await readAll((await files.open('job-text')) as Readable)).equals(text))
    const empty = join(directory, 'empty.csv')
    await writeFile(empty, '')
    await files.put('job-empty', empty, 60_000)
    t.same(await readAll((await files.open('job-empty')) as Readable), Buffer.alloc(0), 'an empty file')
  })

  t.test('an unknown id opens as null', async (t) => {
    t.equal(await files.open('no-such-job'), null)
  })

  t.test('delete removes the file and every chunk', async (t) => {
    const { path } = await randomFile(t, MiB + 1)
    await files.put('job-deleted', path, 60_000)
    t.ok(await files.open('job-deleted').then((stream) => stream?.destroy() ?? null))
    await files.delete('job-deleted')
    t.equal(await files.open('job-deleted'), null)
    t.same(await redis.keys(`${prefix}export:{job-deleted}*`), [], 'no chunk left behind')
    await files.delete('job-deleted')
    t.pass('deleting twice is fine')
  })

  t.test('a file expires after its TTL: whole until then, null after, never cut short', async (t) => {
    const { path, data } = await randomFile(t, 2 * MiB)
    await files.put('job-short', path, 600)
    t.ok((await redis.pttl('export:{job-short}:file')) <= 600, 'the count has the TTL it was given')
    let whole = 0
    // Every open before the expiry reads the whole file; none fails half-way as the keys expire.
    await polled(
      async () => {
        const stream = await files.open('job-short')
        if (stream === null) return null
        const back = await readAll(stream)
        if (!back.equals(data)) throw new Error('a read of the file came back different')
        whole++
        return back
      },
      (back) => back === null,
      'the file to expire',
    )
    t.ok(whole >= 1, `read whole ${whole} times before it expired`)
    t.equal(await redis.exists('export:{job-short}:file'), 0, 'the count is gone')
    t.equal(await files.open('job-short'), null, 'and stays gone')
  })

  t.test('a chunk gone before its count fails the stream instead of cutting the file short', async (t) => {
    const { path } = await randomFile(t, 2 * MiB)
    await files.put('job-cut', path, 60_000)
    await redis.del('export:{job-cut}:file:1')
    const stream = (await files.open('job-cut')) as Readable
    await t.rejects(readAll(stream), /expired while it was being read/)
  })
})

t.test('RedisExportFiles on a client just made: the first use waits for the connection', async (t) => {
  const prefix = uniquePrefix()
  // Used at once, as the exports plugin does at start-up: the client is still connecting, and without an
  // offline queue a command sent now fails ("Stream isn't writeable").
  const redis = createRedisConnection({ url: testRedisUrl, keyPrefix: prefix, commandTimeoutMs: 10_000 })
  const files = new RedisExportFiles(redis)
  t.teardown(async () => {
    await files.delete('job-first')
    await files.close()
  })
  t.not(redis.status, 'ready', 'not connected yet')
  t.equal(await files.open('job-first'), null, 'a read answers')
  const { path, data } = await randomFile(t, 1000)
  const other = new RedisExportFiles(
    createRedisConnection({ url: testRedisUrl, keyPrefix: prefix, commandTimeoutMs: 10_000 }),
  )
  t.teardown(() => other.close())
  await other.put('job-first', path, 60_000)
  t.ok((await readAll((await files.open('job-first')) as Readable)).equals(data), 'and a write')
})

t.test('RedisExportFiles with Redis away: StoreUnavailableError, not a hang', async (t) => {
  const redis = createRedisConnection({ url: 'redis://127.0.0.1:1', keyPrefix: uniquePrefix() })
  const files = new RedisExportFiles(redis)
  t.teardown(() => files.close())
  await t.rejects(files.open('job'), { name: 'StoreUnavailableError' })
  await t.rejects(files.delete('job'), { name: 'StoreUnavailableError' })
})

t.test('DirectoryExportFiles', async (t) => {
  const directory = await mkdtemp(join(tmpdir(), 'export-dir-'))
  let now = Date.parse('2024-06-01T08:00:00Z')
  const files = new DirectoryExportFiles(join(directory, 'exports'), () => now)
  t.teardown(async () => {
    await files.close()
    await rm(directory, { recursive: true, force: true })
  })
  t.equal(files.kind, 'directory')

  t.test('a file of more than 2 MiB comes back byte for byte', async (t) => {
    const { path, data } = await randomFile(t, 2 * MiB + 777)
    await files.put('job-big', path, 60_000)
    const back = await readAll((await files.open('job-big')) as Readable)
    t.ok(back.equals(data), 'identical bytes')
    t.equal(sha256(back), sha256(data))
    t.ok(existsSync(path), 'the written file is copied, not moved: the runner removes its own')
  })

  t.test('an unknown id opens as null', async (t) => {
    t.equal(await files.open('no-such-job'), null)
    t.equal(await files.open('../escape'), null)
  })

  t.test('delete removes the file from the directory', async (t) => {
    const { path } = await randomFile(t, 1000)
    await files.put('job-deleted', path, 60_000)
    t.ok(existsSync(join(directory, 'exports', 'job-deleted')))
    await files.delete('job-deleted')
    t.equal(await files.open('job-deleted'), null)
    t.notOk(existsSync(join(directory, 'exports', 'job-deleted')))
  })

  t.test('a file is served until its TTL has passed on the clock, then deleted', async (t) => {
    const { path, data } = await randomFile(t, 5000)
    await files.put('job-expiring', path, 10_000)
    now += 9_999
    t.ok((await readAll((await files.open('job-expiring')) as Readable)).equals(data), 'a ms before: served')
    now += 1
    t.equal(await files.open('job-expiring'), null, 'at its expiry: gone')
    t.notOk((await readdir(join(directory, 'exports'))).includes('job-expiring'), 'and removed from disk')
  })
})
