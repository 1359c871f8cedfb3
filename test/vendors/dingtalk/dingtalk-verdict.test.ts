// How DingTalk answers are classified: errors arrive as HTTP 200 with a non-zero errcode.
import t from 'tap'
import type { VendorResponse } from '../../../src/vendors/common/vendor-http.js'
import { dingTalkVerdict } from '../../../src/vendors/dingtalk/verdict.js'

const answer = (body: unknown, statusCode = 200): VendorResponse => ({ statusCode, headers: {}, body })

t.test('errcode 0 is success', async (t) => {
  t.match(dingTalkVerdict(answer({ errcode: 0, errmsg: 'ok', hasMore: false }), 'attendance/list'), {
    errcode: 0,
  })
})

const cases: [string, VendorResponse, 'gettoken' | 'attendance/list', object][] = [
  [
    'throttled (90018)',
    answer({ errcode: 90018, errmsg: '限流' }),
    'attendance/list',
    { code: 'VENDOR_RATE_LIMITED', retryable: true },
  ],
  [
    'throttled as errcode 88 with sub_code 90018',
    answer({ errcode: 88, sub_code: '90018', errmsg: 'subcode=90018' }),
    'attendance/list',
    { code: 'VENDOR_RATE_LIMITED', retryable: true, vendorCode: 88 },
  ],
  [
    'errcode 88 for something else',
    answer({ errcode: 88, sub_code: '40035' }),
    'attendance/list',
    { code: 'VENDOR_BAD_REQUEST', retryable: false },
  ],
  [
    'global API limit (90002)',
    answer({ errcode: 90002 }),
    'attendance/list',
    { code: 'VENDOR_RATE_LIMITED', retryable: true },
  ],
  ['temporarily banned (90005)', answer({ errcode: 90005 }), 'attendance/list', { retryable: true }],
  ['temporarily banned (90006)', answer({ errcode: 90006 }), 'attendance/list', { retryable: true }],
  [
    'monthly quota used up (90020)',
    answer({ errcode: 90020 }),
    'attendance/list',
    { code: 'VENDOR_QUOTA_EXHAUSTED', retryable: false, stopsSource: true },
  ],
  [
    'system busy (-1)',
    answer({ errcode: -1, errmsg: '系统繁忙' }),
    'attendance/list',
    { code: 'VENDOR_UNAVAILABLE', retryable: true },
  ],
  ['invalid token (40014)', answer({ errcode: 40014 }), 'attendance/list', { tokenRejected: true }],
  ['expired token (42001)', answer({ errcode: 42001 }), 'attendance/list', { tokenRejected: true }],
  ['missing token (41001)', answer({ errcode: 41001 }), 'attendance/list', { tokenRejected: true }],
  [
    'token invalid (40001) on a data call',
    answer({ errcode: 40001 }),
    'attendance/list',
    { tokenRejected: true },
  ],
  [
    'bad key or secret (40089) on gettoken',
    answer({ errcode: 40089 }),
    'gettoken',
    { code: 'VENDOR_AUTH_FAILED', tokenRejected: false },
  ],
  [
    'wrong secret (40001) on gettoken',
    answer({ errcode: 40001 }),
    'gettoken',
    { code: 'VENDOR_AUTH_FAILED', tokenRejected: false },
  ],
  [
    'no permission (60011)',
    answer({ errcode: 60011 }),
    'attendance/list',
    { code: 'VENDOR_PERMISSION_DENIED' },
  ],
  [
    'IP not allowed (60020)',
    answer({ errcode: 60020 }),
    'attendance/list',
    { code: 'VENDOR_PERMISSION_DENIED' },
  ],
  [
    'bad parameter',
    answer({ errcode: 40035, errmsg: '不合法的参数' }),
    'attendance/list',
    { code: 'VENDOR_BAD_REQUEST', retryable: false },
  ],
  [
    'IP ban as {"status":1111}',
    answer({ status: 1111 }),
    'attendance/list',
    { code: 'VENDOR_RATE_LIMITED', retryable: true, retryAfterMs: 300_000 },
  ],
  [
    'IP ban as an HTML page',
    answer(undefined),
    'attendance/list',
    { code: 'VENDOR_BAD_RESPONSE', retryable: true },
  ],
  [
    'gateway error page',
    answer(undefined, 502),
    'attendance/list',
    { code: 'VENDOR_UNAVAILABLE', vendorCode: 502 },
  ],
]
for (const [name, response, call, expected] of cases) {
  t.test(name, async (t) => {
    t.throws(() => dingTalkVerdict(response, call), { name: 'VendorError', ...expected })
  })
}
