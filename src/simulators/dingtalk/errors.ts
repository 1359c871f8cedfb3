// DingTalk's refusals. DingTalk answers every error with HTTP 200 and a non-zero errcode; clients must
// branch on errcode (and sub_code), never on the message text, which the vendor does not document.
import type { VendorReply } from '../shared/vendor-reply.js'

const fail = (errcode: number, errmsg: string, extra?: Record<string, string>): VendorReply => ({
  status: 200,
  body: { errcode, errmsg, ...extra },
})

const THROTTLED = '应用调用该接口超过每秒调用频率上限'

export const dingTalkErrors = {
  /** Wrong or missing appkey/appsecret. 40001 is documented too; we answer 40089, as observed in the wild. */
  badCredentials: () => fail(40089, '不合法的corpId或corpSecret'),
  missingToken: () => fail(41001, '缺少access_token参数'),
  invalidToken: () => fail(40014, '不合法的access_token'),
  expiredToken: () => fail(42001, 'access_token超时'),
  /** Not documented for attendance/list; 40035 is DingTalk's generic invalid-parameter code. */
  invalidParam: (detail: string) => fail(40035, `不合法的参数: ${detail}`),
  busy: () => fail(-1, '系统繁忙'),
  /**
   * The org's monthly quota is spent. Users report the message as "本月api调用量已超过限制…额度:10000次"
   * (FACTS.md); the elided middle is not known, so ours names the limit only.
   */
  quotaExhausted: (quota: number) => fail(90020, `本月api调用量已超过限制,额度:${quota}次`),
  rateLimited: (variant: '90018' | '88') =>
    variant === '88'
      ? fail(88, `ding talk error[subcode=90018,submsg=${THROTTLED}]`, {
          sub_code: '90018',
          sub_msg: THROTTLED,
        })
      : fail(90018, THROTTLED),
}
