import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config/config.js'

const secret = 'super-secret-value-123'

function sourcesFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sources-'))
  const path = join(dir, 'sources.json')
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

t.test('defaults', async (t) => {
  const config = loadConfig({})
  t.match(config, {
    port: 3000,
    host: '0.0.0.0',
    logLevel: 'info',
    redisUrl: undefined,
    maxRangeDays: 93,
    maxUsers: 5000,
    sources: [],
  })
})

t.test('environment values are read and typed', async (t) => {
  const config = loadConfig({
    PORT: '8080',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    REDIS_URL: 'redis://localhost:6379/2',
    MAX_RANGE_DAYS: '31',
    MAX_USERS: '100',
  })
  t.match(config, {
    port: 8080,
    host: '127.0.0.1',
    logLevel: 'debug',
    redisUrl: 'redis://localhost:6379/2',
    maxRangeDays: 31,
    maxUsers: 100,
  })
})

t.test('shortcuts configure one source per vendor with the vendor defaults', async (t) => {
  const config = loadConfig({
    AUTH_DISABLED: 'true',
    FEISHU_APP_ID: 'cli_a',
    FEISHU_APP_SECRET: secret,
    DINGTALK_APP_KEY: 'ding_key',
    DINGTALK_APP_SECRET: secret,
    DINGTALK_BASE_URL: 'http://127.0.0.1:4102/',
  })
  t.same(
    config.sources.map(({ id, vendor, baseUrl, rateLimitPerSecond, timezone }) => ({
      id,
      vendor,
      baseUrl,
      rateLimitPerSecond,
      timezone,
    })),
    [
      {
        id: 'feishu',
        vendor: 'feishu',
        baseUrl: 'https://open.feishu.cn',
        rateLimitPerSecond: 45,
        timezone: 'Asia/Shanghai',
      },
      {
        id: 'dingtalk',
        vendor: 'dingtalk',
        baseUrl: 'http://127.0.0.1:4102',
        rateLimitPerSecond: 19,
        timezone: 'Asia/Shanghai',
      },
    ],
  )
})

t.test('a sources file may hold several tenants of one vendor', async (t) => {
  const path = sourcesFile({
    sources: [
      { id: 'hq', vendor: 'feishu', appId: 'cli_1', appSecret: secret, employeeType: 'employee_no' },
      {
        id: 'lark-intl',
        vendor: 'feishu',
        appId: 'cli_2',
        appSecret: secret,
        baseUrl: 'https://open.larksuite.com',
      },
      {
        id: 'sub',
        vendor: 'dingtalk',
        appKey: 'k',
        appSecret: secret,
        timezone: 'Asia/Tokyo',
        isI18n: true,
        rateLimitPerSecond: 36,
      },
    ],
  })
  const config = loadConfig({ SOURCES_FILE: path, AUTH_DISABLED: 'true' })
  t.same(
    config.sources.map((source) => source.id),
    ['hq', 'lark-intl', 'sub'],
  )
  t.match(config.sources[0], { employeeType: 'employee_no', baseUrl: 'https://open.feishu.cn' })
  t.match(config.sources[1], { employeeType: 'employee_id', baseUrl: 'https://open.larksuite.com' })
  t.match(config.sources[2], { timezone: 'Asia/Tokyo', isI18n: true, rateLimitPerSecond: 36 })
})

t.test(
  'connection limits and the stall rule: defaults, and the idle timeout follows QUERY_TIMEOUT_MS',
  async (t) => {
    const config = loadConfig({})
    t.same(config.connections, {
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 72_000,
      idleTimeoutMs: 660_000,
      maxConnections: 1024,
    })
    t.equal(config.streamStallMs, 30_000)
    t.equal(loadConfig({ QUERY_TIMEOUT_MS: '120000' }).connections.idleTimeoutMs, 180_000)
    t.match(
      loadConfig({
        HEADERS_TIMEOUT_MS: '5000',
        REQUEST_TIMEOUT_MS: '9000',
        KEEP_ALIVE_TIMEOUT_MS: '4000',
        CONNECTION_TIMEOUT_MS: '0',
        MAX_CONNECTIONS: '64',
        STREAM_STALL_MS: '250',
      }),
      {
        streamStallMs: 250,
        connections: {
          headersTimeoutMs: 5000,
          requestTimeoutMs: 9000,
          keepAliveTimeoutMs: 4000,
          idleTimeoutMs: 0,
          maxConnections: 64,
        },
      },
    )
  },
)

const invalid: [string, Record<string, string>, RegExp][] = [
  ['PORT not a number', { PORT: 'eighty' }, /^PORT must be a whole number/],
  ['PORT out of range', { PORT: '70000' }, /^PORT must be a whole number from 0 to 65535/],
  ['LOG_LEVEL unknown', { LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of/],
  ['REDIS_URL not a URL', { REDIS_URL: 'localhost' }, /^REDIS_URL must be a URL/],
  ['REDIS_URL wrong scheme', { REDIS_URL: 'http://localhost:6379' }, /^REDIS_URL must start with redis:\/\//],
  ['MAX_RANGE_DAYS zero', { MAX_RANGE_DAYS: '0' }, /^MAX_RANGE_DAYS must be a whole number/],
  ['MAX_USERS negative', { MAX_USERS: '-5' }, /^MAX_USERS must be a whole number/],
  ['MAX_CONNECTIONS zero', { MAX_CONNECTIONS: '0' }, /^MAX_CONNECTIONS must be a whole number from 1/],
  [
    'REQUEST_TIMEOUT_MS zero',
    { REQUEST_TIMEOUT_MS: '0' },
    /^REQUEST_TIMEOUT_MS must be a whole number from 1000/,
  ],
  ['STREAM_STALL_MS too small', { STREAM_STALL_MS: '5' }, /^STREAM_STALL_MS must be a whole number from 100/],
  [
    'headers allowed longer than the whole request',
    { HEADERS_TIMEOUT_MS: '30000', REQUEST_TIMEOUT_MS: '20000' },
    /^HEADERS_TIMEOUT_MS must not be greater than REQUEST_TIMEOUT_MS/,
  ],
  [
    'half a Feishu shortcut',
    { FEISHU_APP_SECRET: secret },
    /^FEISHU_APP_ID and FEISHU_APP_SECRET must be set together/,
  ],
  ['half a DingTalk shortcut', { DINGTALK_APP_KEY: 'k' }, /^DINGTALK_APP_KEY and DINGTALK_APP_SECRET/],
  [
    'SOURCES_FILE missing',
    { SOURCES_FILE: '/nonexistent/sources.json' },
    /^SOURCES_FILE .* cannot be read: ENOENT/,
  ],
]
for (const [name, env, message] of invalid) {
  t.test(`refused: ${name}`, async (t) => {
    t.throws(() => loadConfig(env), { name: 'ConfigError', message })
  })
}

const invalidFiles: [string, unknown, RegExp][] = [
  ['not JSON', '{ nope', /cannot be read: not valid JSON/],
  ['no sources list', { source: [] }, /must hold \{"sources": \[ \.\.\. \]\}/],
  [
    'unknown vendor',
    { sources: [{ id: 'x', vendor: 'wecom' }] },
    /sources\[0\]\.vendor must be "feishu" or "dingtalk"/,
  ],
  ['missing secret', { sources: [{ id: 'x', vendor: 'feishu', appId: 'a' }] }, /sources\[0\].*appSecret/],
  [
    'bad id',
    { sources: [{ id: 'Not A Slug', vendor: 'feishu', appId: 'a', appSecret: secret }] },
    /sources\[0\]\.id/,
  ],
  [
    'DingTalk field on Feishu',
    { sources: [{ id: 'x', vendor: 'feishu', appId: 'a', appSecret: secret, appKey: secret }] },
    /unknown field appKey/,
  ],
  [
    'bad time zone',
    { sources: [{ id: 'x', vendor: 'dingtalk', appKey: 'a', appSecret: secret, timezone: 'Mars/Olympus' }] },
    /sources\[0\]\.timezone is not an IANA time zone/,
  ],
  [
    'duplicate id',
    {
      sources: [
        { id: 'x', vendor: 'dingtalk', appKey: 'a', appSecret: secret },
        { id: 'x', vendor: 'feishu', appId: 'a', appSecret: secret },
      ],
    },
    /sources\[1\]\.id "x" is used twice/,
  ],
  [
    'an event allowance of 0',
    {
      sources: [
        {
          id: 'x',
          vendor: 'dingtalk',
          appKey: 'a',
          appSecret: secret,
          events: { mode: 'stream', monthlyAllowance: 0 },
        },
      ],
    },
    /monthlyAllowance/,
  ],
  [
    'rate limit not positive',
    { sources: [{ id: 'x', vendor: 'dingtalk', appKey: 'a', appSecret: secret, rateLimitPerSecond: 0 }] },
    /rateLimitPerSecond/,
  ],
]
for (const [name, content, message] of invalidFiles) {
  t.test(`refused sources file: ${name}`, async (t) => {
    const error = t.throws(() => loadConfig({ SOURCES_FILE: sourcesFile(content) }), {
      name: 'ConfigError',
      message,
    })
    t.notMatch(String((error as Error | undefined)?.message), secret, 'the message never prints a secret')
  })
}

t.test('a secret put in the wrong field is named, not printed', async (t) => {
  try {
    loadConfig({ PORT: secret })
    t.fail('should have thrown')
  } catch (error) {
    t.ok(error instanceof ConfigError)
    t.notMatch((error as Error).message, secret)
  }
})

t.test("DingTalk's events.monthlyAllowance is read from the sources file", async (t) => {
  const path = sourcesFile({
    sources: [
      {
        id: 'dt',
        vendor: 'dingtalk',
        appKey: 'a',
        appSecret: secret,
        events: { mode: 'stream', monthlyAllowance: 10_000 },
      },
    ],
  })
  const [source] = loadConfig({ SOURCES_FILE: path, AUTH_DISABLED: 'true' }).sources
  t.same(source?.events, { mode: 'stream', monthlyAllowance: 10_000 })
})
