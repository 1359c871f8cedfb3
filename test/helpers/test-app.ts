// One way to build the app in tests: injected config, a logger whose lines the test can read, and
// close() on teardown.
import { Writable } from 'node:stream'
import type { Test } from 'tap'
import { type Config, loadConfig } from '../../src/config/config.js'
import { createLogger } from '../../src/platform/logging/logger.js'
import { SecretRedactor } from '../../src/platform/logging/secret-redactor.js'
import { buildApp } from '../../src/service/app.js'
import { startDemoSources } from '../../src/service/demo-sources.js'
import { LOAD_SHEDDING_OFF_ENV } from './load-shedding-off.js'
import { checkEveryAnswer } from './openapi-hook.js'

/**
 * The defaults, except: debug logs, no inbound rate limit (tests send more than a minute's worth of
 * requests from one address; the rate-limit tests set `rateLimitPerMinute` themselves), and no load
 * shedding (load-shedding-off.ts; the load-shedding tests set `pressure` themselves).
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig(LOAD_SHEDDING_OFF_ENV), logLevel: 'debug', rateLimitPerMinute: 0, ...overrides }
}

export class LogCapture extends Writable {
  readonly lines: string[] = []

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split('\n')) if (line) this.lines.push(line)
    done()
  }

  records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>)
  }
}

/**
 * The app as `npm start` builds it: with no source configured, in demo mode on the embedded simulators.
 * Every answer it sends is held against its OpenAPI document (openapi-hook.ts). `beforeReady` may add
 * hooks or routes to it (Fastify takes none once it is ready).
 */
export async function buildTestApp(
  t: Test,
  overrides: Partial<Config> = {},
  options: { beforeReady?: (app: Awaited<ReturnType<typeof buildApp>>) => void } = {},
) {
  const logs = new LogCapture()
  const redactor = new SecretRedactor()
  const config = testConfig(overrides)
  const demo = config.sources.length === 0 ? await startDemoSources() : undefined
  if (demo) t.teardown(() => demo.close())
  const app = await buildApp({
    config: demo ? { ...config, sources: demo.sources } : config,
    demoMode: demo !== undefined,
    redactor,
    logger: createLogger({ level: config.logLevel, redactor, destination: logs }),
  })
  t.teardown(() => app.close())
  const openapi = checkEveryAnswer(app, t)
  options.beforeReady?.(app)
  await app.ready()
  return { app, logs, openapi }
}
