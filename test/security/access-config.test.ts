// API_KEYS, API_KEYS_FILE, AUTH_DISABLED and RATE_LIMIT_PER_MINUTE as loadConfig reads them from the
// environment: the keys are kept as digests, mistakes stop the start with a message that never prints a key.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { sha256Hex } from '../../src/config/api-keys.js'
import { envKeyName } from '../../src/config/api-keys-config.js'
import { loadConfig } from '../../src/config/config.js'

const key = 'k3y-for-tests-0123456789'
const feishu = { FEISHU_APP_ID: 'cli_a', FEISHU_APP_SECRET: 'secret-value-123' }

function keysFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'api-keys-')), 'keys.json')
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

t.test('defaults: no keys, authentication not disabled, 120 requests a minute', async (t) => {
  t.match(loadConfig({}), { apiKeys: [], authDisabled: false, rateLimitPerMinute: 120 })
})

t.test('API_KEYS: plain and sha256: entries become named digests', async (t) => {
  const hashed = sha256Hex('another-key-abcdef')
  const config = loadConfig({
    API_KEYS: ` ${key} , sha256:${hashed.toUpperCase()},`,
    RATE_LIMIT_PER_MINUTE: '0',
  })
  t.same(config.apiKeys, [
    { name: `key-${sha256Hex(key).slice(0, 12)}`, sha256: sha256Hex(key), sources: null },
    { name: `key-${hashed.slice(0, 12)}`, sha256: hashed, sources: null },
  ])
  t.equal(config.rateLimitPerMinute, 0)
  t.notMatch(JSON.stringify(config), key, 'the plain key is not kept')
})

t.test(
  'an API_KEYS key is named by its digest, not its position: removing another key keeps its name',
  async (t) => {
    const other = 'another-key-abcdef'
    const both = loadConfig({ API_KEYS: `${other},${key}` }).apiKeys
    const alone = loadConfig({ API_KEYS: key }).apiKeys
    t.equal(alone[0]?.name, both[1]?.name, 'the same name with or without the key before it')
    t.equal(alone[0]?.name, `key-${sha256Hex(key).slice(0, 12)}`, 'key- and 12 hex digits of its SHA-256')
    t.equal(
      loadConfig({ API_KEYS: `sha256:${sha256Hex(key)}` }).apiKeys[0]?.name,
      alone[0]?.name,
      'the same name for its sha256: form',
    )
    t.notMatch(alone[0]?.name, key, 'the name shows no part of the key')
  },
)

t.test('API_KEYS_FILE: names, source restrictions and per-key limits', async (t) => {
  const path = keysFile({
    keys: [
      { name: 'payroll', key: `sha256:${sha256Hex(key)}`, sources: ['feishu', 'feishu'] },
      { name: 'dashboard', key: 'dashboard-key-0123456789', rateLimitPerMinute: 600 },
    ],
  })
  const config = loadConfig({ ...feishu, API_KEYS: 'ops-key-0123456789', API_KEYS_FILE: path })
  t.same(config.apiKeys, [
    {
      name: envKeyName(sha256Hex('ops-key-0123456789')),
      sha256: sha256Hex('ops-key-0123456789'),
      sources: null,
    },
    { name: 'payroll', sha256: sha256Hex(key), sources: ['feishu'] },
    {
      name: 'dashboard',
      sha256: sha256Hex('dashboard-key-0123456789'),
      sources: null,
      rateLimitPerMinute: 600,
    },
  ])
})

t.test('vendor sources without API keys refuse to start unless AUTH_DISABLED=true', async (t) => {
  t.throws(() => loadConfig(feishu), {
    name: 'ConfigError',
    message:
      /^vendor sources are configured but API_KEYS and API_KEYS_FILE are not: set one, or AUTH_DISABLED=true/,
  })
  t.match(loadConfig({ ...feishu, AUTH_DISABLED: 'true' }), { authDisabled: true, apiKeys: [] })
  t.match(loadConfig({ ...feishu, API_KEYS: key }), {
    authDisabled: false,
    apiKeys: [{ name: envKeyName(sha256Hex(key)) }],
  })
  t.match(loadConfig({}), { sources: [], apiKeys: [] }, 'demo mode may run open')
})

const refused: [string, Record<string, string>, RegExp][] = [
  ['AUTH_DISABLED not a boolean', { AUTH_DISABLED: 'yes' }, /^AUTH_DISABLED must be one of true, false$/],
  ['AUTH_DISABLED together with keys', { AUTH_DISABLED: 'true', API_KEYS: key }, /both set: choose one/],
  [
    'RATE_LIMIT_PER_MINUTE negative',
    { RATE_LIMIT_PER_MINUTE: '-1' },
    /^RATE_LIMIT_PER_MINUTE must be a whole number/,
  ],
  [
    'a sha256 entry that is not 64 hex digits',
    { API_KEYS: `sha256:${key}` },
    /^API_KEYS entry 1 must be sha256: followed by 64 hex digits$/,
  ],
  ['a key with a space', { API_KEYS: `${key}, with space${key}` }, /^API_KEYS entry 2 must be visible ASCII/],
  [
    'the same key twice',
    { API_KEYS: `${key},sha256:${sha256Hex(key)}` },
    /^API_KEYS entry 1 and API_KEYS entry 2 are the same key$/,
  ],
  [
    'a key of API_KEYS again in API_KEYS_FILE',
    { API_KEYS: key, API_KEYS_FILE: keysFile({ keys: [{ name: 'again', key }] }) },
    /^API_KEYS entry 1 and API_KEYS_FILE keys\[0\] \("again"\) are the same key$/,
  ],
  [
    'API_KEYS_FILE missing',
    { API_KEYS_FILE: '/nonexistent/keys.json' },
    /^API_KEYS_FILE .* cannot be read: ENOENT$/,
  ],
]
for (const [name, env, message] of refused) {
  t.test(`refused: ${name}`, async (t) => {
    const error = t.throws(() => loadConfig(env), { name: 'ConfigError', message })
    t.notMatch(String((error as Error | undefined)?.message), key, 'the message never prints a key')
  })
}

const refusedFiles: [string, unknown, RegExp][] = [
  ['not JSON', '{ nope', /cannot be read: not valid JSON/],
  ['no keys list', { key: [] }, /must hold \{"keys": \[ \.\.\. \]\}/],
  ['a name that is not a slug', { keys: [{ name: 'two words', key }] }, /^API_KEYS_FILE keys\[0\]\.name/],
  ['no key', { keys: [{ name: 'a' }] }, /^API_KEYS_FILE keys\[0\].*key/],
  ['an empty sources list', { keys: [{ name: 'a', key, sources: [] }] }, /^API_KEYS_FILE keys\[0\]\.sources/],
  ['an unknown field', { keys: [{ name: 'a', key, scopes: ['x'] }] }, /unknown field scopes/],
  [
    'a bad sha256 key',
    { keys: [{ name: 'a', key: 'sha256:abc' }] },
    /^API_KEYS_FILE keys\[0\]\.key must be sha256:/,
  ],
  [
    'a name used twice',
    {
      keys: [
        { name: 'a', key },
        { name: 'a', key: `${key}-2` },
      ],
    },
    /^API key name "a" is used twice$/,
  ],
  [
    'a source that is not configured',
    { keys: [{ name: 'a', key, sources: ['dingtalk'] }] },
    /^API key "a" names source "dingtalk", which is not configured$/,
  ],
]
for (const [name, content, message] of refusedFiles) {
  t.test(`refused API_KEYS_FILE: ${name}`, async (t) => {
    const error = t.throws(() => loadConfig({ ...feishu, API_KEYS_FILE: keysFile(content) }), {
      name: 'ConfigError',
      message,
    })
    t.notMatch(String((error as Error | undefined)?.message), key, 'the message never prints a key')
  })
}
