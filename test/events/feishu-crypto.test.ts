// Feishu webhook crypto against vectors made without this code: the vendor's documented example, bodies
// encrypted by Python's `cryptography` and checked with the official Node SDK's own AESCipher, and
// signatures computed by Python's hashlib from the documented formula over the raw body bytes.
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { AESCipher } from '@larksuiteoapi/node-sdk'
import type { Test } from 'tap'
import t from 'tap'
import { EventCryptoError } from '../../src/vendors/common/event-crypto-error.js'
import {
  decryptFeishu,
  encryptFeishu,
  feishuSignature,
  verifyFeishuSignature,
} from '../../src/vendors/feishu/crypto.js'

// The example in Feishu's Encrypt Key documentation ("Encrypt Key 加密配置案例"): key "test key"
// decrypts this to "hello world". Several independent SDKs pin the same pair in their tests.
const DOC_KEY = 'test key'
const DOC_ENCRYPT = 'P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk='
const DOC_PLAIN = 'hello world'

// Generated once with Python's `cryptography` (AES-256-CBC, PKCS7(128), key = hashlib.sha256(KEY)), the
// IV drawn from random.Random(1313); the SDK's AESCipher decrypts both to PLAIN (checked below on every
// run). The flow event carries non-ASCII text, so UTF-8 decoding is pinned too.
const KEY = 'Kq7vR2mXattendanceEK5'
const TASK = {
  iv: 'd86bbc8697bead5153f1632d8385b8c6',
  encrypt:
    '2Gu8hpe+rVFT8WMtg4W4xg/p/iv2ZJa7M/8A6lMts9hpcJGK2VQ779uISW8fT2PjzrlxJJZUSqlO4zH5xDYtB5klRcHzPqWoTYY7VB9B9xQFlRe8Jd8tvIeTjbaPkOE+Sp/eOKwr1mX47otgLUoZHeKx7pMKuFE2uTivi9IqV4Y6bo39O087B7v7hoNuc3uA23DeFD6NJFPvAq/fyjOnCOFgQNtjITkUBEI1VmGnYHsYLRSmDrHevaOxoUUz0ol9WqILuk4YpfaBW94vka0aZTGg8BGBGZrexrV1WzeNMBgLHjh3ihUz6T5Dr0oIp78FVy4kSoxWFUPoNcCJNBD+mnd21Rmy5gmP0JwL59+jmvUeOCeT/c/4xAAX4TFzmvgqI4E/zOa4YE5r0RwQuCvC6QHC+23mNySDRI3AfLf/Qr6kMlUxeNmTpc9w8haVVoF2CMoYlSDceDCFiD3/SfUtFaqGdTaL0GU9dBNzw2LMEos1J/b0LvdzJpAhzTV+G/ZXeuGx1/5GrcUiBVVHI2KILHMwAvaWad6aE3JJxVneWaWrZF32NrFgsq+/pVq1igY/G+NCxgRSX0CNafiYs85X9hGZH+37olV4ObpEPLD5Sva2sTq+5YGaG86EiXSSSZYELSWskyTsQpbESfkjER3Ri4KCj5PtBjwLm2+zYUPKgYF6Sr4H9M+50587CEZScu9/kXmB1es0ShXATEc7YnvJN3eLfSvELYhuuWC83eLqNREHcRXCoYYr9srso635z5B4VandSqNp5gzFkEHXwPQ/q5umS4mxk23q0QAd62KRQbj2n2RYww8L+93SCDSZE2ppQIvLzKaEJs8R+r8E6mUYcA==',
  plain:
    '{"schema":"2.0","header":{"event_id":"5e3702a84e847582be8db7fb73283c02","event_type":"attendance.user_task.updated_v1","create_time":"1700000123456","token":"v3rificationT0kenX","app_id":"cli_a1b2c3d4e5f60708","tenant_key":"2ca1d211f64f6438"},"event":{"employee_id":"abd754f7","employee_no":"E1024","group_id":"6737202939523236110","shift_id":"6737202939523236113","date":20231114,"task_id":"7301937482958594577","time_zone":"Asia/Shanghai","status_changes":[{"index":0,"work_type":"on","before_status":"Lack","current_status":"Normal","before_supplement":"None","current_supplement":"CardReplacementApplication"}]}}',
}
const FLOW = {
  iv: 'eee89d4f3d0c62a69af4813f1b71b037',
  encrypt:
    '7uidTz0MYqaa9IE/G3GwNxEmw/EmXxxjsijOsM8hCRKN9ypzrrN7sXOFgS1+BDj5jbBrP+hLgwAbgSNR/PMax0tW4/UOVVC9ZzhlehUSYur5+XKatk+/HkDQ4+ZLo8zw/VeqU+nzoPUI0bLf9LohZlktmNB75eLirLCi67Er4A6jZ1W49VEsuO7UhUVyAgLlHFbBPhQGiPDzjgdUCSpenHxbiRLMrpeFTNKaPPM8VRG/vYjA/fAyWJyPcz6Ui/+r5vszeMpS4EXiAp4PdiwWM0kHt2SCWDfVzHJAja6O90vjyl5Y5fUbp7ZU2G5s/Bd8yc+fJSAqTDBTwbbWTQxCOqlaG6WNmxNJqnVX1haDRxyHo6OdQsqJAfnGm3EN70zh6Lb81dBAKLs/sR/eJhsrt5m4OBFDcwZxNnwAM0TYYALo77TCH26IG/piH6693gd1ewgs0kdDsV9FqrM6Ytcixe0YCiHialJahBrJpVkjX7yPn1etlgm2VHeIiJgUmRSx90JPPgJ9Yr/TO8/gAijZuudv2mdoM1F4jn0HgUeD6SEuHEUa/0ttrkpybUQ4nueudY7d4DDubmlHzoE5BoPFBR6PorR/RI03svjIpeeA+r08iNNvdinRcHtU0bkRyOGohKXsZqeBHg5U/K6812NAeDRrRxx+qt9ZPR3OUgtdOUR0TcCOHvNLM8mTuQls+AUWSWYzN+ntGdGrh/4Yub83KQ==',
  plain:
    '{"schema":"2.0","header":{"event_id":"0b9f3c2e7a41d65f8c2e1a3b4d5c6e7f","event_type":"attendance.user_flow.created_v1","create_time":"1700000200000","token":"v3rificationT0kenX","app_id":"cli_a1b2c3d4e5f60708","tenant_key":"2ca1d211f64f6438"},"event":{"employee_id":"abd754f7","employee_no":"E1024","check_time":"1700000190","record_id":"7301939921733632019","location_name":"上海市徐汇区漕溪北路","comment":"补卡","ssid":"","bssid":"","is_field":false,"is_wifi":false,"type":0,"photo_urls":[],"risk_result":0}}',
}

// hashlib.sha256(timestamp + nonce + KEY + raw body bytes).hexdigest(), generated once in Python. The body
// is byte for byte what the vendor posts ({"encrypt":"…"}, no spaces); the second one holds non-ASCII bytes.
const SIGNED = {
  timestamp: '1700000124',
  nonce: '1378493826',
  raw: `{"encrypt":"${TASK.encrypt}"}`,
  signature: '6ea810d87a477ea5830fd0c9d0b06f62161b78f94eb7d4eba22c84bc1c81e8c3',
}
const SIGNED_UTF8 = {
  timestamp: '1700000201',
  nonce: '905712334',
  raw: `{"encrypt":"${FLOW.encrypt}","note":"飞书"}`,
  signature: '8e0a14f859157f45ba3635ccc29055ba7040152bbcbdcf5d0a8decfed9989ee3',
}

function refusal(t: Test, fn: () => unknown, reason: string, secrets: string[] = [KEY]) {
  let caught: unknown
  t.throws(() => {
    try {
      fn()
    } catch (error) {
      caught = error
      throw error
    }
  }, 'never returns a string')
  t.ok(caught instanceof EventCryptoError, 'the typed error')
  t.match(caught, { name: 'EventCryptoError', code: 'ATT_EVENT_CRYPTO', vendor: 'feishu', reason })
  const message = caught instanceof Error ? caught.message : ''
  for (const secret of secrets) t.notOk(message.includes(secret), 'the message holds no secret')
}

t.test('the documented example decrypts, by the SDK and by us', async (t) => {
  t.equal(new AESCipher(DOC_KEY).decrypt(DOC_ENCRYPT), DOC_PLAIN)
  t.equal(decryptFeishu(DOC_ENCRYPT, DOC_KEY), DOC_PLAIN)
})

t.test('the fixed event vectors: the SDK and decryptFeishu give the same plaintext', async (t) => {
  for (const vector of [TASK, FLOW]) {
    t.equal(new AESCipher(KEY).decrypt(vector.encrypt), vector.plain, 'the official SDK')
    t.equal(decryptFeishu(vector.encrypt, KEY), vector.plain, 'decryptFeishu')
    t.same(JSON.parse(decryptFeishu(vector.encrypt, KEY)).schema, '2.0')
  }
})

t.test('encryptFeishu with the vector IV reproduces the independent ciphertext byte for byte', async (t) => {
  for (const vector of [TASK, FLOW]) {
    t.equal(encryptFeishu(vector.plain, KEY, Buffer.from(vector.iv, 'hex')), vector.encrypt)
  }
})

t.test('what encryptFeishu makes, the SDK decrypts, at every padding length', async (t) => {
  const sdk = new AESCipher(KEY)
  for (let length = 0; length <= 48; length++) {
    const plain = 'd'.repeat(length)
    const encrypt = encryptFeishu(plain, KEY)
    t.equal(
      Buffer.from(encrypt, 'base64').length,
      16 + (Math.floor(length / 16) + 1) * 16,
      `length ${length}`,
    )
    t.equal(sdk.decrypt(encrypt), plain)
    t.equal(decryptFeishu(encrypt, KEY), plain)
  }
  t.equal(sdk.decrypt(encryptFeishu(FLOW.plain, KEY)), FLOW.plain, 'UTF-8 with a random IV')
  t.not(encryptFeishu(DOC_PLAIN, KEY), encryptFeishu(DOC_PLAIN, KEY), 'a fresh IV each time')
  t.throws(() => encryptFeishu(DOC_PLAIN, KEY, Buffer.alloc(8)), RangeError)
})

t.test('the signature: fixed vectors over the raw bytes', async (t) => {
  for (const v of [SIGNED, SIGNED_UTF8]) {
    const raw = Buffer.from(v.raw, 'utf8')
    t.equal(feishuSignature(v.timestamp, v.nonce, KEY, raw), v.signature)
    // The documented formula once more, spelled out with Node's crypto.
    const byHand = createHash('sha256')
      .update(Buffer.concat([Buffer.from(v.timestamp + v.nonce + KEY, 'utf8'), raw]))
      .digest('hex')
    t.equal(byHand, v.signature)
    t.ok(verifyFeishuSignature(v.timestamp, v.nonce, KEY, raw, v.signature))
  }
})

t.test('a re-serialised body fails the signature, as does any other change', async (t) => {
  const raw = Buffer.from(SIGNED.raw, 'utf8')
  const { timestamp, nonce, signature } = SIGNED
  const spaced = Buffer.from(JSON.stringify(JSON.parse(SIGNED.raw), null, 1), 'utf8')
  const colonSpace = Buffer.from(SIGNED.raw.replace('":"', '": "'), 'utf8')
  t.notOk(verifyFeishuSignature(timestamp, nonce, KEY, spaced, signature), 'pretty-printed')
  t.notOk(verifyFeishuSignature(timestamp, nonce, KEY, colonSpace, signature), 'a space after the colon')
  t.notOk(verifyFeishuSignature(timestamp, nonce, KEY, Buffer.concat([raw, Buffer.from('\n')]), signature))
  // Same characters, other bytes: the hash is over bytes as received.
  const utf8 = SIGNED_UTF8
  t.notOk(
    verifyFeishuSignature(utf8.timestamp, utf8.nonce, KEY, Buffer.from(utf8.raw, 'latin1'), utf8.signature),
  )
  t.notOk(verifyFeishuSignature('1700000125', nonce, KEY, raw, signature), 'another timestamp')
  t.notOk(verifyFeishuSignature(timestamp, '1378493827', KEY, raw, signature), 'another nonce')
  t.notOk(verifyFeishuSignature(timestamp, nonce, `${KEY}x`, raw, signature), 'another key')
  t.notOk(verifyFeishuSignature(timestamp, nonce, KEY, raw, signature.toUpperCase()), 'upper case')
  t.notOk(verifyFeishuSignature(timestamp, nonce, KEY, raw, signature.slice(0, 63)), 'shorter')
  t.notOk(verifyFeishuSignature(timestamp, nonce, KEY, raw, `${signature.slice(0, 63)}0`), 'last digit')
  t.notOk(verifyFeishuSignature(timestamp, nonce, KEY, raw, undefined), 'no header')
  t.notOk(verifyFeishuSignature(timestamp, nonce, KEY, raw, ''), 'empty header')
  t.notOk(verifyFeishuSignature(undefined, nonce, KEY, raw, signature), 'no timestamp header')
  t.notOk(verifyFeishuSignature(timestamp, undefined, KEY, raw, signature), 'no nonce header')
  t.notOk(
    verifyFeishuSignature(timestamp, nonce, '', raw, feishuSignature(timestamp, nonce, '', raw)),
    'no key',
  )
})

t.test('malformed encrypt fields are refused with a reason', async (t) => {
  const bytes = Buffer.from(TASK.encrypt, 'base64')
  refusal(t, () => decryptFeishu('', KEY), 'bad-base64')
  refusal(t, () => decryptFeishu('not base64!', KEY), 'bad-base64')
  refusal(t, () => decryptFeishu(TASK.encrypt.replace(/=+$/, ''), KEY), 'bad-base64')
  refusal(t, () => decryptFeishu(TASK.encrypt.replaceAll('+', '-').replaceAll('/', '_'), KEY), 'bad-base64')
  refusal(t, () => decryptFeishu(` ${TASK.encrypt}`, KEY), 'bad-base64')
  refusal(t, () => decryptFeishu(undefined as unknown as string, KEY), 'bad-base64')
  refusal(t, () => decryptFeishu(bytes.subarray(0, 16).toString('base64'), KEY), 'bad-ciphertext')
  refusal(
    t,
    () => decryptFeishu(bytes.subarray(0, bytes.length - 3).toString('base64'), KEY),
    'bad-ciphertext',
  )
  refusal(t, () => decryptFeishu(TASK.encrypt, ''), 'bad-key')
})

t.test('a wrong key is refused, never answered with garbage', async (t) => {
  for (const key of [DOC_KEY, 'Kq7vR2mXattendanceEK6', 'kq7vR2mXattendanceEK5']) {
    refusal(t, () => decryptFeishu(TASK.encrypt, key), 'bad-padding', [KEY, key])
    refusal(t, () => decryptFeishu(FLOW.encrypt, key), 'bad-padding', [KEY, key])
  }
  refusal(t, () => decryptFeishu(DOC_ENCRYPT, KEY), 'bad-padding')
})

t.test('altered ciphertext: refused by decrypt past the IV, and always by the signature', async (t) => {
  const bytes = Buffer.from(TASK.encrypt, 'base64')
  const passedSignature: number[] = []
  const decrypted: number[] = []
  for (let i = 0; i < bytes.length; i++) {
    const encrypt = flip(TASK.encrypt, i)
    const raw = Buffer.from(`{"encrypt":"${encrypt}"}`, 'utf8')
    if (verifyFeishuSignature(SIGNED.timestamp, SIGNED.nonce, KEY, raw, SIGNED.signature))
      passedSignature.push(i)
    try {
      decryptFeishu(encrypt, KEY)
      decrypted.push(i)
    } catch (error) {
      if (!(error instanceof EventCryptoError)) throw error
    }
  }
  t.same(passedSignature, [], 'no altered byte passes the signature')
  // A flip in the IV changes the first plaintext block predictably (CBC has no integrity of its own): only
  // the signature, checked first, catches those. Every later flip scrambles a block and is refused.
  t.ok(
    decrypted.every((i) => i < 16),
    'only IV flips decrypt',
  )
  refusal(t, () => decryptFeishu(flip(TASK.encrypt, bytes.length - 17), KEY), 'bad-padding')
})

t.test('a decrypted body that is not UTF-8 is refused', async (t) => {
  const iv = randomBytes(16)
  const cipher = createCipheriv('aes-256-cbc', createHash('sha256').update(KEY).digest(), iv)
  const encrypt = Buffer.concat([iv, cipher.update(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), cipher.final()])
  refusal(t, () => decryptFeishu(encrypt.toString('base64'), KEY), 'bad-plaintext')
})

function flip(base64: string, index: number): string {
  const bytes = Buffer.from(base64, 'base64')
  bytes[index] = (bytes[index] ?? 0) ^ 0x01
  return bytes.toString('base64')
}
