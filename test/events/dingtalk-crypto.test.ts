// DingTalk HTTP-push crypto against vectors made without this code. Three come published in the official
// library's repository (open-dingtalk/DingTalk-Callback-Crypto, commit bd49e62); one was made by that
// repository's DingCallbackCrypto.java itself, run unmodified. Bodies this test has to forge (bad padding,
// bad lengths) are built by a reference written inline from the Java library's steps.
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto'
import type { Test } from 'tap'
import t from 'tap'
import { EventCryptoError } from '../../src/vendors/common/event-crypto-error.js'
import {
  decryptDingtalk,
  dingtalkReply,
  dingtalkSignature,
  encryptDingtalk,
  verifyDingtalkSignature,
} from '../../src/vendors/dingtalk/crypto.js'

interface Vector {
  from: string
  token: string
  aesKey: string
  ownerKey: string
  timestamp: string
  nonce: string
  encrypt: string
  signature: string
  message: string
  // The 16 random bytes at the head of the vendor's plaintext, read off once by decrypting: encrypting the
  // message again with them must give the vendor's ciphertext byte for byte.
  random: string
}

const PUBLISHED: Vector[] = [
  {
    from: 'DingCallbackCrypto3.py, __main__: the check_url event a real DingTalk push carried',
    token: 'mryue',
    aesKey: 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7',
    ownerKey: 'ding6ccabc44d2c8d38b',
    timestamp: '1608001896814',
    nonce: 'WL4PK6yA',
    encrypt:
      '0vJiX6vliEpwG3U45CtXqi+m8PXbQRARJ8p8BbDuD1EMTDf0jKpQ79QS93qEk7XHpP6u+oTTrd15NRPvNvmBKyDCYxxOK+HZeKju4yhELOFchzNukR+t8SB/qk4ROMu3',
    signature: '03044561471240d4a14bb09372dfcfd4fd0e40cb',
    message: '{"EventType":"check_url"}',
    random: 'l7Y3EcX2CU5w8av3',
  },
  {
    from: 'DingTalkCrypto.go main() and DingTalkEncryptor.cs Main(): an encrypted "success" reply',
    token: 'tokenxxxx',
    aesKey: 'o1w0aum42yaptlz8alnhwikjd3jenzt9cb9wmzptgus',
    ownerKey: 'dingxxxxxx',
    timestamp: '1605695694141',
    nonce: 'WelUQl6bCqcBa2fM',
    encrypt: 'X1VSe9cTJUMZu60d3kyLYTrBq5578ZRJtteU94wG0Q4Uk6E/wQYeJRIC0/UFW5Wkya1Ihz9oXAdLlyC9TRaqsQ==',
    signature: 'f36f4ba5337d426c7d4bca0dbcb06b3ddc1388fc',
    message: 'success',
    random: 'WelUQl6bCqcBa2fM',
  },
  {
    from: 'dingtalk_callback_crypto.rs, test_msg_decrypt: a suite URL check',
    token: '123456',
    aesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij',
    ownerKey: 'suite4xxxxxxxxxxxxxxx',
    timestamp: '1445827045067',
    nonce: 'nEXhMP4r',
    encrypt:
      '1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7gTRWVdUBmfxjZ8Ej23JVYa9VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRHP8PYrfgnNOS9PhSBdHlegK+AGGanfwjXuQ9+0pZcy0w9lQ==',
    signature: '5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0',
    message:
      '{"EventType":"check_create_suite_url","Random":"LPIdSnlF","TestSuiteKey":"suite4xxxxxxxxxxxxxxx"}',
    random: 'hU3bEfGZZewzhG5a',
  },
]

// Made once by DingCallbackCrypto.java from the same commit (file sha256 e1181d5c…4275, unchanged), its
// private encrypt(random, plaintext) called with the random below, then getSignature() and a round trip
// through getDecryptMsg(); fastjson and commons-codec replaced by two-line shims over java.util.Base64.
// The message is UTF-8 and 16 + 4 + 312 + 20 bytes long, a whole number of 32-byte blocks: a full pad block.
const JAVA: Vector = {
  from: 'DingCallbackCrypto.java, run: an attendance_check_record event with a full 32-byte pad block',
  token: 'cvb8Iy4QW2Of5wjkbqX4boUp',
  aesKey: 'QSr6rz24LpOqJ3OpuLIEi2NvSBbI1rmAR1JF3yz4zQ0',
  ownerKey: 'dingq8xkz3v7mwp2rjfn',
  timestamp: '1700000123999',
  nonce: 'ciLSMLhW',
  encrypt:
    'aQuE6rQGJROh7F6QDjl9kQoIdn8ftlGXy0lJHPhtmAsbnFSmJD1st+/EXzXwW13+I6Uvg+m+9UUb8DwqvfZAOiLPoVMAB7DXrrNZe3TL5+scu922C9W4GU/Kbczdxkz032xnUV2SLxoL6ULdPQzkTIfaPU66lSrXNXM69pj8kliarVrUDPqOgoMOkhZQJ1ofzgjJ6RyBV7rJZgTJE3cCz16rW0IODl1+r91NCXQ3dXAc83ELVzcooqIpCyY3T94AZCjybGGAASrrrYCn7qCEnSl90BdDKJfAqzIrbEn/FjQPwgoVgF5xd4hpdyD0nNG3wfICp+G0Ur2G/YdU7fzAWcubjqtZnOrNRzhV3hMYAyp6vTicqKDvPxfCTDJlWUfEmDKLoJ2wLFU8lQ0Ny74rJOvwwU1YmaxFcCCnXifpTDcXFEYnUwNrLis16W8YFnjOGhamW5Z/6BKibB2U68L0x0dLTmObD2qeVU2c9e6wdeqVb1F06o5+1jPmvMc7MLeo',
  signature: '881360353e937fc898e6152b31e56d90191ca328',
  message:
    '{"EventType":"attendance_check_record","EventTime":"1700000123456","CorpId":"ding8a7e3f1c0b2d4e5f","eventId":"b3f9c2d1e4a5","DataList":[{"userId":"manager4220","corpId":"ding8a7e3f1c0b2d4e5f","checkTime":1700000120000,"bizId":"777777777777777","address":"杭州市西湖区文三路","locationResult":"Normal"}]}',
  random: 'HW0mzoQscjnvIcru',
}

const ALL = [...PUBLISHED, JAVA]

// The reference, written from DingCallbackCrypto.java's steps and independent of the code under test:
// AES/CBC/NoPadding with IV = key[0:16] over bytes the test chooses, and its decrypt, as lenient as Java's.
function referenceKey(aesKey: string): Buffer {
  return Buffer.from(`${aesKey}=`, 'base64')
}
function referenceEncryptRaw(plain: Buffer, aesKey: string): string {
  const key = referenceKey(aesKey)
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
}
function referenceLayout(random: Buffer, message: Buffer, owner: string, length = message.length): Buffer {
  const header = Buffer.alloc(4)
  header.writeUInt32BE(length)
  return Buffer.concat([random, header, message, Buffer.from(owner, 'utf8')])
}
function referencePad(body: Buffer, pad = 32 - (body.length % 32), value = pad): Buffer {
  return Buffer.concat([body, Buffer.alloc(pad, value)])
}
function referenceDecrypt(encrypt: string, aesKey: string): { pad: number; message: string; owner: string } {
  const key = referenceKey(aesKey)
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  const plain = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()])
  const pad = plain[plain.length - 1] ?? 0
  const body = plain.subarray(0, plain.length - pad)
  const length = body.readUInt32BE(16)
  return {
    pad,
    message: body.subarray(20, 20 + length).toString('utf8'),
    owner: body.subarray(20 + length).toString('utf8'),
  }
}

function refusal(t: Test, fn: () => unknown, reason: string, secrets: string[] = []) {
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
  t.match(caught, { name: 'EventCryptoError', code: 'ATT_EVENT_CRYPTO', vendor: 'dingtalk', reason })
  const message = caught instanceof Error ? caught.message : ''
  for (const secret of [JAVA.aesKey, JAVA.token, JAVA.message, ...secrets]) {
    t.notOk(message.includes(secret), 'the message holds no secret')
  }
}

function flip(base64: string, index: number): string {
  const bytes = Buffer.from(base64, 'base64')
  bytes[index] = (bytes[index] ?? 0) ^ 0x01
  return bytes.toString('base64')
}

t.test('the vendor vectors: signature, decryption, and the same bytes when encrypted again', async (t) => {
  for (const v of ALL) {
    t.test(v.from, async (t) => {
      t.equal(dingtalkSignature(v.token, v.timestamp, v.nonce, v.encrypt), v.signature)
      const byHand = createHash('sha1')
        .update([v.token, v.timestamp, v.nonce, v.encrypt].sort().join(''))
        .digest('hex')
      t.equal(byHand, v.signature, 'the formula spelled out')
      t.ok(verifyDingtalkSignature(v.token, v.timestamp, v.nonce, v.encrypt, v.signature))
      t.equal(decryptDingtalk(v.encrypt, v.aesKey, v.ownerKey), v.message)
      t.equal(encryptDingtalk(v.message, v.aesKey, v.ownerKey, Buffer.from(v.random, 'latin1')), v.encrypt)
    })
  }
})

t.test('the vendor vectors use 32-byte padding (pads above 16 prove it)', async (t) => {
  t.same(
    ALL.map((v) => referenceDecrypt(v.encrypt, v.aesKey).pad),
    [31, 27, 22, 32],
  )
})

t.test('dingtalkReply gives the published encrypted "success" map', async (t) => {
  const v = PUBLISHED[1] as Vector
  t.same(
    dingtalkReply('success', v.token, v.aesKey, v.ownerKey, v.timestamp, v.nonce, Buffer.from(v.random)),
    {
      msg_signature: v.signature,
      timeStamp: v.timestamp,
      nonce: v.nonce,
      encrypt: v.encrypt,
    },
  )
  const fresh = dingtalkReply('success', v.token, v.aesKey, v.ownerKey, '1700000000000', 'abcdEFGH')
  t.equal(decryptDingtalk(fresh.encrypt, v.aesKey, v.ownerKey), 'success')
  t.ok(verifyDingtalkSignature(v.token, fresh.timeStamp, fresh.nonce, fresh.encrypt, fresh.msg_signature))
})

t.test('encryptDingtalk at every pad length 1..32 reads back by the reference and by us', async (t) => {
  const pads = new Set<number>()
  for (let length = 0; length <= 40; length++) {
    const message = '事'.repeat(length % 3) + 'x'.repeat(length)
    const encrypt = encryptDingtalk(message, JAVA.aesKey, JAVA.ownerKey)
    const reference = referenceDecrypt(encrypt, JAVA.aesKey)
    t.same({ message: reference.message, owner: reference.owner }, { message, owner: JAVA.ownerKey })
    t.equal(Buffer.from(encrypt, 'base64').length % 32, 0)
    pads.add(reference.pad)
    t.equal(decryptDingtalk(encrypt, JAVA.aesKey, JAVA.ownerKey), message)
  }
  t.same(
    [...pads].sort((a, b) => a - b),
    Array.from({ length: 32 }, (_, i) => i + 1),
  )
  t.not(encryptDingtalk('a', JAVA.aesKey, JAVA.ownerKey), encryptDingtalk('a', JAVA.aesKey, JAVA.ownerKey))
  t.throws(() => encryptDingtalk('a', JAVA.aesKey, JAVA.ownerKey, Buffer.alloc(15)), RangeError)
})

t.test('another owner key is refused', async (t) => {
  refusal(t, () => decryptDingtalk(JAVA.encrypt, JAVA.aesKey, 'dingq8xkz3v7mwp2rjfm'), 'owner-mismatch')
  refusal(t, () => decryptDingtalk(JAVA.encrypt, JAVA.aesKey, 'dingq8xkz3v7mwp2rjf'), 'owner-mismatch')
  refusal(t, () => decryptDingtalk(JAVA.encrypt, JAVA.aesKey, `${JAVA.ownerKey}x`), 'owner-mismatch')
  refusal(t, () => decryptDingtalk(JAVA.encrypt, JAVA.aesKey, 'ding8a7e3f1c0b2d4e5f'), 'owner-mismatch')
  refusal(t, () => decryptDingtalk(JAVA.encrypt, JAVA.aesKey, ''), 'bad-key')
})

t.test('altered ciphertext: refused by the signature always, by decrypt past the first block', async (t) => {
  const length = Buffer.from(JAVA.encrypt, 'base64').length
  const passedSignature: number[] = []
  const decrypted: number[] = []
  for (let i = 0; i < length; i++) {
    const encrypt = flip(JAVA.encrypt, i)
    if (verifyDingtalkSignature(JAVA.token, JAVA.timestamp, JAVA.nonce, encrypt, JAVA.signature)) {
      passedSignature.push(i)
    }
    try {
      decryptDingtalk(encrypt, JAVA.aesKey, JAVA.ownerKey)
      decrypted.push(i)
    } catch (error) {
      if (!(error instanceof EventCryptoError)) throw error
    }
  }
  t.same(passedSignature, [], 'no altered byte passes the signature')
  // CBC has no integrity of its own: a flip in the first block only scrambles the random prefix and flips
  // a byte of the message. The signature, checked first, is what refuses those.
  t.ok(
    decrypted.every((i) => i < 16),
    'only first-block flips decrypt',
  )
  refusal(t, () => decryptDingtalk(flip(JAVA.encrypt, length - 1), JAVA.aesKey, JAVA.ownerKey), 'bad-padding')
  refusal(t, () => decryptDingtalk(flip(JAVA.encrypt, 0), JAVA.aesKey, JAVA.ownerKey), 'bad-length')
})

t.test('wrong padding is refused', async (t) => {
  const body = referenceLayout(Buffer.alloc(16, 0x61), Buffer.from('success'), JAVA.ownerKey) // 47 bytes
  const encryptWith = (plain: Buffer) => referenceEncryptRaw(plain, JAVA.aesKey)
  t.equal(
    decryptDingtalk(encryptWith(referencePad(body)), JAVA.aesKey, JAVA.ownerKey),
    'success',
    'the control',
  )
  refusal(
    t,
    () => decryptDingtalk(encryptWith(referencePad(body, 17, 0)), JAVA.aesKey, JAVA.ownerKey),
    'bad-padding',
  )
  const big = Buffer.concat([body, Buffer.alloc(49, 33)]) // 96 bytes ending in 33
  refusal(t, () => decryptDingtalk(encryptWith(big), JAVA.aesKey, JAVA.ownerKey), 'bad-padding')
  const uneven = referencePad(body)
  uneven[uneven.length - 5] = 16
  refusal(t, () => decryptDingtalk(encryptWith(uneven), JAVA.aesKey, JAVA.ownerKey), 'bad-padding')
})

t.test('a length field out of range is refused', async (t) => {
  const random = Buffer.alloc(16, 0x61)
  const message = Buffer.from('success')
  const encryptWith = (plain: Buffer) => referenceEncryptRaw(referencePad(plain), JAVA.aesKey)
  for (const length of [0xffffffff, 0x80000000, message.length + JAVA.ownerKey.length + 1]) {
    const plain = referenceLayout(random, message, JAVA.ownerKey, length)
    refusal(t, () => decryptDingtalk(encryptWith(plain), JAVA.aesKey, JAVA.ownerKey), 'bad-length')
  }
  refusal(
    t,
    () => decryptDingtalk(encryptWith(Buffer.alloc(19, 0x61)), JAVA.aesKey, JAVA.ownerKey),
    'bad-length',
  )
  const shortBy = referenceLayout(random, message, JAVA.ownerKey, message.length + 1)
  refusal(t, () => decryptDingtalk(encryptWith(shortBy), JAVA.aesKey, JAVA.ownerKey), 'owner-mismatch')
})

t.test('an aesKey that is not 43 base64 characters is refused, and so is another key', async (t) => {
  const { encrypt, ownerKey } = JAVA
  for (const aesKey of [
    JAVA.aesKey.slice(0, 42),
    `${JAVA.aesKey}=`,
    `${JAVA.aesKey}A`,
    '',
    `${'*'.repeat(43)}`,
  ]) {
    refusal(t, () => decryptDingtalk(encrypt, aesKey, ownerKey), 'bad-key')
    t.throws(() => encryptDingtalk('success', aesKey, ownerKey), EventCryptoError)
  }
  refusal(t, () => decryptDingtalk(encrypt, `${JAVA.aesKey.slice(0, 42)}-`, ownerKey), 'bad-key')
  const other = PUBLISHED[1] as Vector
  refusal(t, () => decryptDingtalk(encrypt, other.aesKey, ownerKey), 'bad-padding', [other.aesKey])
  // The 43rd character's two low bits fall outside the 256-bit key (Java drops them too): same key.
  t.equal(decryptDingtalk(encrypt, `${JAVA.aesKey.slice(0, 42)}1`, ownerKey), JAVA.message)
})

t.test('a wrong signature is refused', async (t) => {
  const { token, timestamp, nonce, encrypt, signature } = JAVA
  t.notOk(
    verifyDingtalkSignature(token, timestamp, nonce, encrypt, `${signature.slice(0, 39)}9`),
    'last digit',
  )
  t.notOk(verifyDingtalkSignature(token, timestamp, nonce, encrypt, signature.toUpperCase()), 'upper case')
  t.notOk(verifyDingtalkSignature(token, timestamp, nonce, encrypt, signature.slice(1)), 'shorter')
  t.notOk(verifyDingtalkSignature(token, timestamp, nonce, encrypt, undefined), 'missing')
  t.notOk(verifyDingtalkSignature(token, timestamp, nonce, encrypt, ''), 'empty')
  t.notOk(verifyDingtalkSignature(`${token}x`, timestamp, nonce, encrypt, signature), 'another token')
  t.notOk(verifyDingtalkSignature(token, '1700000124000', nonce, encrypt, signature), 'another timestamp')
  t.notOk(verifyDingtalkSignature(token, timestamp, 'ciLSMLhX', encrypt, signature), 'another nonce')
  t.notOk(verifyDingtalkSignature(token, undefined, nonce, encrypt, signature), 'no timestamp')
  t.notOk(verifyDingtalkSignature(token, timestamp, undefined, encrypt, signature), 'no nonce')
  t.notOk(verifyDingtalkSignature(token, timestamp, nonce, undefined, signature), 'no encrypt')
  t.notOk(
    verifyDingtalkSignature('', timestamp, nonce, encrypt, dingtalkSignature('', timestamp, nonce, encrypt)),
  )
})

t.test('malformed encrypt fields are refused with a reason', async (t) => {
  const { aesKey, ownerKey, encrypt } = JAVA
  const bytes = Buffer.from(encrypt, 'base64')
  refusal(t, () => decryptDingtalk('', aesKey, ownerKey), 'bad-base64')
  refusal(t, () => decryptDingtalk('not base64!', aesKey, ownerKey), 'bad-base64')
  refusal(t, () => decryptDingtalk(encrypt.replace(/=+$/, '').slice(0, -1), aesKey, ownerKey), 'bad-base64')
  refusal(
    t,
    () => decryptDingtalk(encrypt.replaceAll('+', '-').replaceAll('/', '_'), aesKey, ownerKey),
    'bad-base64',
  )
  refusal(t, () => decryptDingtalk(undefined as unknown as string, aesKey, ownerKey), 'bad-base64')
  refusal(
    t,
    () => decryptDingtalk(bytes.subarray(0, 16).toString('base64'), aesKey, ownerKey),
    'bad-ciphertext',
  )
  refusal(
    t,
    () => decryptDingtalk(bytes.subarray(0, 100).toString('base64'), aesKey, ownerKey),
    'bad-ciphertext',
  )
  // Truncated on a block boundary: the last block is gone, and with it the padding.
  refusal(
    t,
    () => decryptDingtalk(bytes.subarray(0, 352).toString('base64'), aesKey, ownerKey),
    'bad-padding',
  )
  const notUtf8 = referenceLayout(Buffer.alloc(16), Buffer.from([0x7b, 0xff, 0x7d]), ownerKey)
  refusal(
    t,
    () => decryptDingtalk(referenceEncryptRaw(referencePad(notUtf8), aesKey), aesKey, ownerKey),
    'bad-plaintext',
  )
})
