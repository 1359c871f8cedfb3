import { type ApiKey, sha256Hex } from '../../src/config/api-keys.js'

/** A configured API key as loadConfig makes it from API_KEYS / API_KEYS_FILE. */
export function apiKey(
  name: string,
  key: string,
  extra: Partial<Omit<ApiKey, 'name' | 'sha256'>> = {},
): ApiKey {
  return { name, sha256: sha256Hex(key), sources: null, ...extra }
}

export function bearer(key: string): { authorization: string } {
  return { authorization: `Bearer ${key}` }
}
