// How Feishu answers are classified: the body's `code` decides, whatever the HTTP status.
import t from 'tap'
import type { VendorResponse } from '../../../src/vendors/common/vendor-http.js'
import { feishuVerdict } from '../../../src/vendors/feishu/verdict.js'

const answer = (statusCode: number, body: unknown, headers: Record<string, string> = {}): VendorResponse => ({
  statusCode,
  headers,
  body,
})

t.test('code 0 is success, whatever else the body holds', async (t) => {
  t.match(feishuVerdict(answer(200, { code: 0, msg: 'success', data: {} }), 'x'), { code: 0 })
})

const cases: [string, VendorResponse, object][] = [
  [
    'throttled with HTTP 429 and the reset header',
    answer(429, { code: 99991400, msg: 'request trigger frequency limit' }, { 'x-ogw-ratelimit-reset': '2' }),
    { code: 'VENDOR_RATE_LIMITED', vendorCode: 99991400, retryable: true, retryAfterMs: 2000 },
  ],
  [
    'throttled with the older HTTP 400 variant',
    answer(400, { code: 99991400, msg: 'request trigger frequency limit' }),
    { code: 'VENDOR_RATE_LIMITED', retryable: true, retryAfterMs: undefined },
  ],
  [
    "the tenant's monthly quota spent: HTTP 429 but code 99991403, not a rate limit",
    answer(429, { code: 99991403, msg: 'quota' }, { 'x-ogw-ratelimit-reset': '2' }),
    {
      code: 'VENDOR_QUOTA_EXHAUSTED',
      vendorCode: 99991403,
      retryable: false,
      rateRefusal: false,
      stopsSource: true,
      retryAfterMs: undefined,
    },
  ],
  [
    'token missing',
    answer(400, { code: 99991661 }),
    { code: 'VENDOR_AUTH_FAILED', tokenRejected: true, retryable: false },
  ],
  ['token invalid', answer(400, { code: 99991663 }), { tokenRejected: true }],
  ['token invalid with HTTP 200', answer(200, { code: 99991663 }), { tokenRejected: true }],
  ['user token invalid', answer(400, { code: 99991668 }), { tokenRejected: true }],
  ['token prefix wrong', answer(400, { code: 99991671 }), { tokenRejected: true }],
  ['token expired', answer(400, { code: 99991677 }), { tokenRejected: true }],
  ['tenant_id empty (a token problem)', answer(400, { code: 1220002 }), { tokenRejected: true }],
  [
    'bad app secret',
    answer(200, { code: 10014, msg: 'app secret invalid' }),
    { code: 'VENDOR_AUTH_FAILED', tokenRejected: false },
  ],
  ['wrong secret', answer(200, { code: 10015 }), { code: 'VENDOR_AUTH_FAILED' }],
  [
    'no data permission',
    answer(400, { code: 1220005, msg: '没有权限' }),
    { code: 'VENDOR_PERMISSION_DENIED', retryable: false },
  ],
  [
    'invalid parameter',
    answer(400, { code: 1220001, msg: 'param is invalid' }),
    { code: 'VENDOR_BAD_REQUEST', retryable: false },
  ],
  ['internal error', answer(500, { code: 1225000 }), { code: 'VENDOR_UNAVAILABLE', retryable: true }],
  ['shift service error', answer(500, { code: 1227500 }), { code: 'VENDOR_UNAVAILABLE', retryable: true }],
  ['unknown code with a 5xx', answer(503, { code: 123 }), { code: 'VENDOR_UNAVAILABLE', retryable: true }],
  [
    'HTML error page from a gateway',
    answer(502, undefined),
    { code: 'VENDOR_UNAVAILABLE', vendorCode: 502, retryable: true },
  ],
  ['malformed JSON with HTTP 200', answer(200, undefined), { code: 'VENDOR_BAD_RESPONSE', retryable: true }],
  ['JSON without a code', answer(200, { data: {} }), { code: 'VENDOR_BAD_RESPONSE' }],
]
for (const [name, response, expected] of cases) {
  t.test(name, async (t) => {
    t.throws(() => feishuVerdict(response, 'user_tasks/query'), { name: 'VendorError', ...expected })
  })
}
