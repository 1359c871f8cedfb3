import { ErrorResponse } from './error.js'
import { rateLimitHeaders, responseHeader, retryAfter } from './responses.js'

/** OpenAPI `security` of the routes that need an API key (the scheme is declared in plugins/swagger.ts). */
export const apiKeySecurity = [{ apiKey: [] }]

/** The answers of the access checks (plugins/auth.ts, plugins/rate-limit.ts) every protected route can give. */
export const accessErrorResponses = {
  401: {
    ...ErrorResponse,
    description:
      'No valid API key (`ATT_UNAUTHORIZED`; only when API keys are configured). `WWW-Authenticate: Bearer` says how to send one.',
    headers: {
      'WWW-Authenticate': responseHeader(
        'The scheme to use (RFC 6750): `Bearer` when no key came, `Bearer error="invalid_token"` for a wrong one.',
        { type: 'string', examples: ['Bearer'] },
      ),
    },
    examples: [
      {
        statusCode: 401,
        code: 'ATT_UNAUTHORIZED',
        error: 'Unauthorized',
        message: 'an API key is required: send "Authorization: Bearer <API key>"',
      },
    ],
  },
  429: {
    ...ErrorResponse,
    description:
      'More requests a minute than this API key (or, without a key, this client address) may make (`ATT_RATE_LIMITED`). `Retry-After` gives the seconds to wait.',
    headers: { ...retryAfter(), ...rateLimitHeaders() },
    examples: [
      {
        statusCode: 429,
        code: 'ATT_RATE_LIMITED',
        error: 'Too Many Requests',
        message: 'more than 120 requests a minute for this API key; retry in 42 s',
      },
    ],
  },
}

export const forbiddenSourceResponse = {
  403: {
    ...ErrorResponse,
    description: 'The API key may not read one of the named sources (`ATT_FORBIDDEN_SOURCE`).',
    examples: [
      {
        statusCode: 403,
        code: 'ATT_FORBIDDEN_SOURCE',
        error: 'Forbidden',
        message: 'API key "payroll" may not read source(s) dingtalk',
      },
    ],
  },
}
