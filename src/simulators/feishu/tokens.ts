// tenant_access_token as Feishu hands it out: asking again while at least 30 minutes remain returns the
// same token with a smaller `expire`; with less left a new token is issued and the old one stays valid
// until its own expiry. And how the gateway refuses the token of a data call (errors.ts).
import { randomBytes } from 'node:crypto'
import { TokenStore } from '../shared/token-store.js'
import type { VendorReply } from '../shared/vendor-reply.js'
import { feishuErrors } from './errors.js'

export function createFeishuTokenStore(clock: () => number): TokenStore {
  return new TokenStore(() => `t-${randomBytes(16).toString('hex')}`, clock)
}

export function fetchTenantToken(
  store: TokenStore,
  ttlSeconds: number,
  reuseThresholdSeconds: number,
): { token: string; expire: number } {
  const latest = store.latest()
  if (latest) {
    const remainingMs = latest.expiresAt - store.now()
    if (remainingMs >= reuseThresholdSeconds * 1000)
      return { token: latest.token, expire: Math.floor(remainingMs / 1000) }
  }
  return { token: store.issue(ttlSeconds * 1000).token, expire: ttlSeconds }
}

/** The token of an `Authorization: Bearer t-…` header; null when the header or the "Bearer " is missing. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined || !header.startsWith('Bearer ')) return null
  const token = header.slice('Bearer '.length).trim()
  return token === '' ? null : token
}

/** Feishu's refusal of the token a data call carried, by what is wrong with it; null when it is valid. */
export function tokenRefusal(store: TokenStore, token: string | null): VendorReply | null {
  if (token === null) return feishuErrors.missingToken()
  if (!token.startsWith('t-') && !token.startsWith('u-')) return feishuErrors.malformedToken()
  const state = store.state(token)
  if (state === 'valid') return null
  return state === 'expired' ? feishuErrors.expiredToken() : feishuErrors.invalidToken()
}
