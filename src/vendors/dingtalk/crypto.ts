// DingTalk HTTP-push crypto, step for step as the official library (open-dingtalk/DingTalk-Callback-Crypto
// DingCallbackCrypto.java): key = base64(EncodingAESKey + "="), AES-256-CBC with IV = key[0:16] and no
// padding of its own, PKCS#7 to 32-byte blocks by hand, plaintext = 16 random bytes + 4-byte big-endian
// length + message + owner key; signature = hex SHA-1 of the sorted token, timestamp, nonce and encrypt.
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import {
  decodeBase64Strict,
  decodeUtf8Strict,
  EventCryptoError,
  sameSignature,
} from '../common/event-crypto-error.js'

const AES_KEY_CHARS = 43
const KEY_BYTES = 32
const IV_BYTES = 16
const AES_BLOCK = 16
const RANDOM_BYTES = 16
const LENGTH_BYTES = 4
const HEADER_BYTES = RANDOM_BYTES + LENGTH_BYTES
// The library pads to 32 bytes, not to the AES block: pad values run 1..32.
const PAD_BLOCK = 32
const BASE64_CHARS = /^[A-Za-z0-9+/]+$/

export interface DingtalkReply {
  msg_signature: string
  timeStamp: string
  nonce: string
  encrypt: string
}

function dingtalkKey(aesKey: string): Buffer {
  if (typeof aesKey !== 'string' || aesKey.length !== AES_KEY_CHARS || !BASE64_CHARS.test(aesKey)) {
    throw new EventCryptoError('dingtalk', 'bad-key')
  }
  const key = Buffer.from(`${aesKey}=`, 'base64')
  if (key.length !== KEY_BYTES) throw new EventCryptoError('dingtalk', 'bad-key')
  return key
}

export function dingtalkSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  // Array.prototype.sort compares UTF-16 code units, as Java's String.compareTo does.
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join(''), 'utf8').digest('hex')
}

/** Checks the query's signature in constant time; a missing value or an empty token is a refusal. */
export function verifyDingtalkSignature(
  token: string,
  timestamp: string | undefined,
  nonce: string | undefined,
  encrypt: string | undefined,
  signature: string | undefined,
): boolean {
  if (!token || typeof timestamp !== 'string' || typeof nonce !== 'string' || typeof encrypt !== 'string') {
    return false
  }
  return sameSignature(dingtalkSignature(token, timestamp, nonce, encrypt), signature)
}

/**
 * Decrypts the body's `encrypt` and returns the message, refusing (EventCryptoError) anything malformed
 * or addressed to another owner (the appKey for console subscriptions). CBC has no integrity of its own:
 * verify the signature first, so only the vendor's ciphertext reaches this.
 */
export function decryptDingtalk(encrypt: string, aesKey: string, expectedOwnerKey: string): string {
  const key = dingtalkKey(aesKey)
  if (typeof expectedOwnerKey !== 'string' || expectedOwnerKey.length === 0) {
    throw new EventCryptoError('dingtalk', 'bad-key')
  }
  const bytes = decodeBase64Strict('dingtalk', encrypt)
  if (bytes.length < PAD_BLOCK || bytes.length % AES_BLOCK !== 0) {
    throw new EventCryptoError('dingtalk', 'bad-ciphertext')
  }
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, IV_BYTES)).setAutoPadding(false)
  const plain = Buffer.concat([decipher.update(bytes), decipher.final()])

  const body = plain.subarray(0, plain.length - padLength(plain))
  if (body.length < HEADER_BYTES) throw new EventCryptoError('dingtalk', 'bad-length')
  const messageLength = body.readUInt32BE(RANDOM_BYTES)
  if (messageLength > body.length - HEADER_BYTES) throw new EventCryptoError('dingtalk', 'bad-length')
  const message = body.subarray(HEADER_BYTES, HEADER_BYTES + messageLength)
  const owner = body.subarray(HEADER_BYTES + messageLength)
  const expected = Buffer.from(expectedOwnerKey, 'utf8')
  if (owner.length !== expected.length || !timingSafeEqual(owner, expected)) {
    throw new EventCryptoError('dingtalk', 'owner-mismatch')
  }
  return decodeUtf8Strict('dingtalk', message)
}

// The Java library silently ignores a pad byte outside 1..32; here it is a refusal, as are unequal pad bytes.
function padLength(plain: Buffer): number {
  const pad = plain[plain.length - 1] ?? 0
  if (pad < 1 || pad > PAD_BLOCK || pad > plain.length) throw new EventCryptoError('dingtalk', 'bad-padding')
  for (let i = plain.length - pad; i < plain.length; i++) {
    if (plain[i] !== pad) throw new EventCryptoError('dingtalk', 'bad-padding')
  }
  return pad
}

/** The vendor's layout, for the encrypted "success" reply and the simulators; random bytes unless fixed. */
export function encryptDingtalk(
  message: string,
  aesKey: string,
  ownerKey: string,
  random16: Uint8Array = randomBytes(RANDOM_BYTES),
): string {
  if (random16.length !== RANDOM_BYTES)
    throw new RangeError(`the random prefix must be ${RANDOM_BYTES} bytes`)
  const key = dingtalkKey(aesKey)
  const messageBytes = Buffer.from(message, 'utf8')
  const length = Buffer.alloc(LENGTH_BYTES)
  length.writeUInt32BE(messageBytes.length)
  const body = Buffer.concat([random16, length, messageBytes, Buffer.from(ownerKey, 'utf8')])
  const pad = PAD_BLOCK - (body.length % PAD_BLOCK)
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, IV_BYTES)).setAutoPadding(false)
  const padded = Buffer.concat([body, Buffer.alloc(pad, pad)])
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64')
}

/** What the webhook answers (check_url and every event): the encrypted message, signed. */
export function dingtalkReply(
  message: string,
  token: string,
  aesKey: string,
  ownerKey: string,
  timestamp: string,
  nonce: string,
  random16?: Uint8Array,
): DingtalkReply {
  const encrypt = encryptDingtalk(message, aesKey, ownerKey, random16)
  return {
    msg_signature: dingtalkSignature(token, timestamp, nonce, encrypt),
    timeStamp: timestamp,
    nonce,
    encrypt,
  }
}
