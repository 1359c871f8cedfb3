// Feishu / Lark webhook crypto (vendor-docs/EVENTS.md "Encrypt Key", "Signature"; oapi-sdk-go
// event/event.go; node-sdk utils/aes-cipher.ts): {"encrypt": base64(IV + AES-256-CBC(PKCS#7))} with
// key = SHA-256(Encrypt Key), and X-Lark-Signature = hex(sha256(timestamp + nonce + Encrypt Key + raw body)).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import {
  decodeBase64Strict,
  decodeUtf8Strict,
  EventCryptoError,
  sameSignature,
} from '../common/event-crypto-error.js'

const IV_BYTES = 16
const AES_BLOCK = 16

function feishuKey(encryptKey: string): Buffer {
  if (typeof encryptKey !== 'string' || encryptKey.length === 0)
    throw new EventCryptoError('feishu', 'bad-key')
  return createHash('sha256').update(encryptKey, 'utf8').digest()
}

/**
 * Decrypts the `encrypt` field of a Feishu body. Throws EventCryptoError on anything malformed. CBC has
 * no integrity of its own: the signature over the raw body is what authenticates it, so check that first.
 */
export function decryptFeishu(encrypt: string, encryptKey: string): string {
  const key = feishuKey(encryptKey)
  const bytes = decodeBase64Strict('feishu', encrypt)
  if (bytes.length < IV_BYTES + AES_BLOCK || (bytes.length - IV_BYTES) % AES_BLOCK !== 0) {
    throw new EventCryptoError('feishu', 'bad-ciphertext')
  }
  const decipher = createDecipheriv('aes-256-cbc', key, bytes.subarray(0, IV_BYTES))
  let plain: Buffer
  try {
    plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES)), decipher.final()])
  } catch {
    throw new EventCryptoError('feishu', 'bad-padding')
  }
  return decodeUtf8Strict('feishu', plain)
}

/** The same layout as the vendor's, for the simulators; the IV is random unless a test fixes it. */
export function encryptFeishu(
  plain: string,
  encryptKey: string,
  iv: Uint8Array = randomBytes(IV_BYTES),
): string {
  if (iv.length !== IV_BYTES) throw new RangeError(`the IV must be ${IV_BYTES} bytes`)
  const cipher = createCipheriv('aes-256-cbc', feishuKey(encryptKey), iv)
  return Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final()]).toString('base64')
}

/** hex(sha256(timestamp + nonce + encryptKey + body)) over the body's bytes as received, never re-serialised. */
export function feishuSignature(
  timestamp: string,
  nonce: string,
  encryptKey: string,
  rawBody: Uint8Array,
): string {
  return createHash('sha256')
    .update(timestamp, 'utf8')
    .update(nonce, 'utf8')
    .update(encryptKey, 'utf8')
    .update(rawBody)
    .digest('hex')
}

/**
 * Checks X-Lark-Signature in constant time. Missing headers or an empty Encrypt Key (no signature exists
 * without one) are a refusal, never a pass.
 */
export function verifyFeishuSignature(
  timestamp: string | undefined,
  nonce: string | undefined,
  encryptKey: string,
  rawBody: Uint8Array,
  signature: string | undefined,
): boolean {
  if (typeof timestamp !== 'string' || typeof nonce !== 'string' || !encryptKey) return false
  return sameSignature(feishuSignature(timestamp, nonce, encryptKey, rawBody), signature)
}
