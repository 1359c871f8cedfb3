// Feishu's refusals, byte for byte what a client must handle. Codes and texts come from the page beside
// vendor-docs/FACTS.md; where Feishu varies the HTTP status (token errors: 400 or 200), we answer 400.
// Token errors (FACTS.md): 99991661 no token or no "Bearer ", 99991671 not a t-/u- token, 99991663 a
// token never issued or revoked, 99991677 an expired one.
import type { VendorReply } from '../shared/vendor-reply.js'

const fail = (status: number, code: number, msg: string, headers?: Record<string, string>): VendorReply => ({
  status,
  body: { code, msg },
  ...(headers && { headers }),
})

export const feishuErrors = {
  /** Token endpoint: a field is missing or not a string. */
  tokenInvalidParam: () => fail(200, 10003, 'invalid param'),
  tokenUnknownApp: () => fail(200, 10014, 'app id not exists'),
  tokenWrongSecret: () => fail(200, 10014, 'app secret invalid'),
  missingToken: () =>
    fail(400, 99991661, 'Missing access token for authorization. Please make a request with token attached.'),
  /** A token the vendor never issued, or revoked. */
  invalidToken: () =>
    fail(400, 99991663, 'Invalid access token for authorization. Please make a request with token attached.'),
  /** A token it issued whose lifetime is over. The text is the one seen in the wild; the docs give none. */
  expiredToken: () => fail(400, 99991677, 'Authentication token expired.'),
  /** Not a token at all: it starts with neither t- (tenant) nor u- (user). The text is ours. */
  malformedToken: () =>
    fail(400, 99991671, 'Invalid access token for authorization. The token must start with t- or u-.'),
  invalidParam: (detail: string) => fail(400, 1220001, `param is invalid: ${detail}`),
  invalidUsers: () => fail(400, 1220004, 'user_id is not exist or does not have permission'),
  internal: () => fail(500, 1225000, 'internal server error'),
  /**
   * The tenant's calls of the month are spent (Basic edition). HTTP 429 like a rate limit, but its own code
   * and no x-ogw-ratelimit-* headers: no window to wait for. The vendor's text is not documented; clients
   * must branch on `code`.
   */
  quotaExhausted: (quota: number) =>
    fail(429, 99991403, `the app's API calls of this month have reached the quota (${quota})`),
  rateLimited: (status: 429 | 400, limit: number, retryAfterMs: number) =>
    fail(status, 99991400, 'request trigger frequency limit', {
      'x-ogw-ratelimit-limit': String(limit),
      // Seconds until the oldest call leaves the window, rounded up; never 0, which would invite a spin.
      'x-ogw-ratelimit-reset': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
    }),
}
