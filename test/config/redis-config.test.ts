// The three ways to reach Redis: exactly one of them, validated like every other setting, never echoed.
import t from 'tap'
import { ConfigError, loadConfig, redisSettingsOf } from '../../src/config/config.js'

const secret = 'redis-secret-value-42'

t.test('no Redis: none of the three, and the store runs in memory', async (t) => {
  const config = loadConfig({})
  t.equal(config.redis, undefined)
  t.equal(redisSettingsOf(config), undefined)
})

t.test('url mode keeps redisUrl, and REDIS_PASSWORD / REDIS_TLS apply', async (t) => {
  const config = loadConfig({ REDIS_URL: 'redis://db:6379/1', REDIS_PASSWORD: secret, REDIS_TLS: 'true' })
  t.equal(config.redisUrl, 'redis://db:6379/1')
  t.same(config.redis, { mode: 'url', url: 'redis://db:6379/1', password: secret, tls: true })
  t.match(loadConfig({ REDIS_URL: 'rediss://db:6380' }).redis, { tls: true })
})

t.test('sentinel mode', async (t) => {
  const config = loadConfig({
    REDIS_SENTINELS: '10.0.0.1:26379, sentinel-b:26380,[::1]:26381',
    REDIS_SENTINEL_NAME: 'mymaster',
    REDIS_SENTINEL_PASSWORD: secret,
  })
  t.equal(config.redisUrl, undefined)
  t.same(config.redis, {
    mode: 'sentinel',
    sentinels: [
      { host: '10.0.0.1', port: 26379 },
      { host: 'sentinel-b', port: 26380 },
      { host: '::1', port: 26381 },
    ],
    name: 'mymaster',
    sentinelPassword: secret,
    tls: false,
  })
  t.same(redisSettingsOf(config), config.redis)
})

t.test('cluster mode', async (t) => {
  const config = loadConfig({ REDIS_CLUSTER_NODES: 'a:7000,b:7001', REDIS_PASSWORD: secret })
  t.same(config.redis, {
    mode: 'cluster',
    nodes: [
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
    ],
    password: secret,
    tls: false,
  })
})

t.test('redisUrl set directly (as tests and older callers do) still selects url mode', async (t) => {
  t.same(redisSettingsOf({ redis: undefined, redisUrl: 'redis://x:1' }), {
    mode: 'url',
    url: 'redis://x:1',
    tls: false,
  })
})

const refused: [string, Record<string, string>, RegExp][] = [
  [
    'two modes',
    { REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'a:1' },
    /^REDIS_URL, REDIS_CLUSTER_NODES are all set/,
  ],
  [
    'three modes',
    {
      REDIS_URL: 'redis://a:1',
      REDIS_SENTINELS: 'a:1',
      REDIS_SENTINEL_NAME: 'm',
      REDIS_CLUSTER_NODES: 'a:1',
    },
    /^REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES are all set: set only one of/,
  ],
  ['sentinels without a name', { REDIS_SENTINELS: 'a:26379' }, /^REDIS_SENTINELS needs REDIS_SENTINEL_NAME/],
  [
    'a name without sentinels',
    { REDIS_URL: 'redis://a:1', REDIS_SENTINEL_NAME: 'm' },
    /^REDIS_SENTINEL_NAME need/,
  ],
  ['a password and no Redis', { REDIS_PASSWORD: secret }, /^REDIS_PASSWORD need one of REDIS_URL/],
  [
    'REDIS_TLS not a boolean',
    { REDIS_URL: 'redis://a:1', REDIS_TLS: 'yes' },
    /^REDIS_TLS must be one of true, false/,
  ],
  ['no port', { REDIS_CLUSTER_NODES: 'a:7000,b' }, /^REDIS_CLUSTER_NODES entry 2 must be host:port/],
  ['port out of range', { REDIS_CLUSTER_NODES: 'a:70000' }, /^REDIS_CLUSTER_NODES entry 1 must be host:port/],
  [
    'port zero',
    { REDIS_SENTINELS: 'a:0', REDIS_SENTINEL_NAME: 'm' },
    /^REDIS_SENTINELS entry 1 must be host:port/,
  ],
  [
    'empty entry',
    { REDIS_SENTINELS: 'a:1,,b:2', REDIS_SENTINEL_NAME: 'm' },
    /^REDIS_SENTINELS entry 2 must be/,
  ],
  [
    'a URL instead of host:port',
    { REDIS_CLUSTER_NODES: 'redis://a:7000' },
    /^REDIS_CLUSTER_NODES entry 1 must be/,
  ],
]

for (const [name, env, message] of refused) {
  t.test(`refused: ${name}`, async (t) => {
    t.throws(() => loadConfig(env), message)
    try {
      loadConfig({ ...env, REDIS_SENTINEL_PASSWORD: env.REDIS_SENTINELS ? secret : '' })
    } catch (error) {
      t.ok(error instanceof ConfigError)
      t.notMatch((error as Error).message, secret, 'no secret in the message')
    }
  })
}
