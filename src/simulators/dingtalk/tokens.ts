// The legacy DingTalk token: asking again while it is valid returns the same token and extends its life
// to a full lifetime; after it expired a new one is issued.
import { randomBytes } from 'node:crypto'
import { TokenStore } from '../shared/token-store.js'

export function createDingTalkTokenStore(clock: () => number): TokenStore {
  return new TokenStore(() => randomBytes(16).toString('hex'), clock)
}

export function fetchAccessToken(
  store: TokenStore,
  ttlSeconds: number,
): { token: string; expiresIn: number } {
  const latest = store.latest()
  const token = latest
    ? store.extend(latest.token, ttlSeconds * 1000).token
    : store.issue(ttlSeconds * 1000).token
  return { token, expiresIn: ttlSeconds }
}
