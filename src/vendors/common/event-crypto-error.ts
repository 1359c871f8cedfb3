// Why a vendor's webhook crypto refused a body, and the strict decoders both vendors' crypto share.
// The reason is data for logs and metrics; no message ever carries a key, a token or a decrypted byte.
import { timingSafeEqual } from 'node:crypto'

export type EventCryptoVendor = 'feishu' | 'dingtalk'

export type EventCryptoReason =
  | 'bad-key' // a configured key that cannot be used: empty, wrong length, not base64
  | 'bad-base64' // the encrypted field is empty or not standard, padded base64
  | 'bad-ciphertext' // too short, or not whole AES blocks
  | 'bad-padding' // PKCS#7 padding does not check out: wrong key or altered bytes
  | 'bad-plaintext' // the decrypted message is not UTF-8
  | 'bad-length' // DingTalk: the length field points outside the plaintext
  | 'owner-mismatch' // DingTalk: the plaintext names another app than the source's

const EXPLANATIONS: Record<EventCryptoReason, string> = {
  'bad-key': 'the configured key cannot be used',
  'bad-base64': 'the encrypted field is not standard base64',
  'bad-ciphertext': 'the ciphertext is not whole AES blocks',
  'bad-padding': 'the padding is wrong (wrong key or altered ciphertext)',
  'bad-plaintext': 'the decrypted message is not UTF-8',
  'bad-length': 'the message length field is out of range',
  'owner-mismatch': 'the message is addressed to another app',
}

export class EventCryptoError extends Error {
  readonly code = 'ATT_EVENT_CRYPTO'
  // A body that fails the vendor's crypto did not come from the vendor: the route answers 4xx.
  readonly statusCode = 401
  readonly vendor: EventCryptoVendor
  readonly reason: EventCryptoReason

  constructor(vendor: EventCryptoVendor, reason: EventCryptoReason) {
    super(`${vendor} event refused: ${EXPLANATIONS[reason]}`)
    this.name = 'EventCryptoError'
    this.vendor = vendor
    this.reason = reason
  }
}

// Buffer.from(s, 'base64') skips characters it does not know and accepts the URL alphabet, so garbage
// would decode to some bytes; both vendors send standard base64 with its padding.
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export function decodeBase64Strict(vendor: EventCryptoVendor, text: unknown): Buffer {
  if (typeof text !== 'string' || text.length === 0 || !STANDARD_BASE64.test(text)) {
    throw new EventCryptoError(vendor, 'bad-base64')
  }
  return Buffer.from(text, 'base64')
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export function decodeUtf8Strict(vendor: EventCryptoVendor, bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes)
  } catch {
    throw new EventCryptoError(vendor, 'bad-plaintext')
  }
}

/** Compares a computed signature with a claimed one in constant time (the length is public). */
export function sameSignature(expected: string, claimed: string | undefined): boolean {
  if (typeof claimed !== 'string') return false
  const a = Buffer.from(expected, 'utf8')
  const b = Buffer.from(claimed, 'utf8')
  return a.length === b.length && timingSafeEqual(a, b)
}
