// API_KEYS and API_KEYS_FILE → the keys that may call the API. Errors name the entry, never its value.
// A key's name owns its export jobs, Idempotency-Keys and rate-limit counter, so it must belong to the key
// whatever else is configured: a key of API_KEYS is named after its digest (`key-` and the first 12 hex
// digits of its SHA-256), never its position, which would pass to the next key when one is removed.
import { readFileSync } from 'node:fs'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { SOURCE_ID_PATTERN } from '../schemas/attendance-query.js'
import { type ApiKey, sha256Hex } from './api-keys.js'

export class ApiKeysError extends Error {}

const KEY_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
// What an HTTP header can carry as one token: visible ASCII, no spaces.
const PLAIN_KEY = /^[\x21-\x7e]+$/
const HASHED_KEY = /^sha256:([0-9a-fA-F]{64})$/

const KeyFileEntry = Type.Object(
  {
    name: Type.String({ pattern: KEY_NAME_PATTERN }),
    key: Type.String({ minLength: 1 }),
    sources: Type.Optional(Type.Array(Type.String({ pattern: SOURCE_ID_PATTERN }), { minItems: 1 })),
    rateLimitPerMinute: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
)

type Env = Record<string, string | undefined>

/** A key as configured, and the entry it came from (for errors). */
interface Entry {
  key: ApiKey
  where: string
}

/** Keys from API_KEYS (named `key-<12 hex digits of the digest>`) and from API_KEYS_FILE, in that order. */
export function loadApiKeys(env: Env): ApiKey[] {
  const entries = keysFromList(env.API_KEYS ?? '')
  const file = env.API_KEYS_FILE?.trim()
  if (file) entries.push(...keysFromFile(file))
  const digests = new Map<string, string>()
  const names = new Set<string>()
  for (const { key, where } of entries) {
    const twin = digests.get(key.sha256)
    if (twin) throw new ApiKeysError(`${twin} and ${where} are the same key`)
    digests.set(key.sha256, where)
    if (names.has(key.name)) throw new ApiKeysError(`API key name "${key.name}" is used twice`)
    names.add(key.name)
  }
  return entries.map((entry) => entry.key)
}

/** The name of a key of API_KEYS: its own, whatever the other entries are. */
export function envKeyName(sha256: string): string {
  return `key-${sha256.slice(0, 12)}`
}

function keysFromList(list: string): Entry[] {
  return list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item, index) => {
      const where = `API_KEYS entry ${index + 1}`
      const sha256 = digestOf(item, where)
      return { key: { name: envKeyName(sha256), sha256, sources: null }, where }
    })
}

function keysFromFile(path: string): Entry[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'not valid JSON'
    throw new ApiKeysError(`API_KEYS_FILE ${path} cannot be read: ${reason}`)
  }
  const list = (parsed as { keys?: unknown } | null)?.keys
  if (!Array.isArray(list)) throw new ApiKeysError('API_KEYS_FILE must hold {"keys": [ ... ]}')
  return list.map((item, index) => {
    const where = `API_KEYS_FILE keys[${index}]`
    if (!Value.Check(KeyFileEntry, item)) {
      const first = Value.Errors(KeyFileEntry, item).find((error) => error.keyword !== 'boolean')
      const field = first?.instancePath ? `.${first.instancePath.slice(1).replaceAll('/', '.')}` : ''
      const extra =
        first?.keyword === 'additionalProperties'
          ? ` (unknown field ${((first.params as { additionalProperties?: string[] }).additionalProperties ?? []).join(', ')})`
          : ''
      throw new ApiKeysError(`${where}${field}: ${first?.message ?? 'is invalid'}${extra}`)
    }
    const key: ApiKey = {
      name: item.name,
      sha256: digestOf(item.key, `${where}.key`),
      sources: item.sources ? [...new Set(item.sources)] : null,
    }
    if (item.rateLimitPerMinute !== undefined) key.rateLimitPerMinute = item.rateLimitPerMinute
    return { key, where: `${where} ("${item.name}")` }
  })
}

function digestOf(text: string, where: string): string {
  if (text.startsWith('sha256:')) {
    const hex = HASHED_KEY.exec(text)?.[1]
    if (!hex) throw new ApiKeysError(`${where} must be sha256: followed by 64 hex digits`)
    return hex.toLowerCase()
  }
  if (!PLAIN_KEY.test(text)) {
    throw new ApiKeysError(`${where} must be visible ASCII characters without spaces or commas`)
  }
  return sha256Hex(text)
}
