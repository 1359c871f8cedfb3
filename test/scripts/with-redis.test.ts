// `npm test` finds a Redis or makes one: scripts/with-redis.mjs.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

const script = new URL('../../scripts/with-redis.mjs', import.meta.url).pathname
const printUrl = [process.execPath, '-e', 'console.log("url=" + process.env.TEST_REDIS_URL)']

function run(env: Record<string, string>) {
  return spawnSync(process.execPath, [script, ...printUrl], { env, encoding: 'utf8', timeout: 30_000 })
}

/** A PATH with node and sh but without redis-server. */
function pathWithoutRedis(): string {
  const dir = mkdtempSync(join(tmpdir(), 'no-redis-'))
  symlinkSync(process.execPath, join(dir, 'node'))
  symlinkSync('/bin/sh', join(dir, 'sh'))
  return dir
}

t.test('uses the Redis that answers on REDIS_URL', async (t) => {
  const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
  const result = run({ PATH: process.env.PATH ?? '', REDIS_URL: url })
  t.equal(result.status, 0)
  t.match(result.stdout, `url=${url}`)
})

t.test('starts a throwaway redis-server when nothing answers', async (t) => {
  const result = run({ PATH: process.env.PATH ?? '', REDIS_URL: 'redis://127.0.0.1:1' })
  t.equal(result.status, 0)
  t.match(result.stdout, /url=redis:\/\/127\.0\.0\.1:\d+/)
  t.notMatch(result.stdout, /url=redis:\/\/127\.0\.0\.1:1\n/)
  t.match(result.stderr, /started a throwaway redis-server/)
})

t.test('without Redis and without redis-server it stops at once and says how to get one', async (t) => {
  const result = run({ PATH: pathWithoutRedis(), REDIS_URL: 'redis://127.0.0.1:1' })
  t.equal(result.status, 1)
  t.match(result.stderr, /The tests need Redis/)
  t.match(result.stderr, /apt-get install redis-server/)
  t.notMatch(result.stdout, /url=/, 'the tests did not run')
})
