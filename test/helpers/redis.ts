import { randomUUID } from 'node:crypto'

/** The Redis the suite runs against (scripts/with-redis.mjs sets it; a bare `tap` falls back to the default). */
export const testRedisUrl = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A key prefix of its own for every test, so tests running at once never share state. */
export function uniquePrefix(): string {
  return `test:${randomUUID()}:`
}
