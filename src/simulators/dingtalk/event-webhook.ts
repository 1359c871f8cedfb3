// DingTalk's HTTP push mode: each event POSTed as {"encrypt": …} to the URL with ?signature&timestamp&nonce,
// as the vendor does (DingCallbackCrypto: AES-256-CBC under the EncodingAESKey, the owner key after the
// message, SHA-1 over the sorted token, timestamp, nonce and encrypt). The only acknowledgement is the
// encrypted "success", signed, within 1,500 ms: any other answer counts as a failed push. Each attempt is
// encrypted and signed afresh, so a duplicate is a vendor redelivery.
import { randomBytes } from 'node:crypto'
import {
  decryptDingtalk,
  dingtalkSignature,
  encryptDingtalk,
  verifyDingtalkSignature,
} from '../../vendors/dingtalk/crypto.js'
import type { DayChanges } from '../shared/day-events.js'
import {
  corruptSignature,
  type DeliveryAttempt,
  DeliveryError,
  type EventOutbox,
} from '../shared/event-delivery.js'
import type { DingTalkEventOptions } from './event-options.js'
import { dingTalkDailySummaryEvent } from './events.js'
import type { DingTalkRow } from './types.js'

/** How long DingTalk waits for the encrypted "success" before it counts the push failed. */
export const DINGTALK_ACK_TIMEOUT_MS = 1500

const NONCE_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

function nonce(): string {
  return [...randomBytes(8)].map((byte) => NONCE_CHARS[byte % NONCE_CHARS.length]).join('')
}

export interface DingTalkPushKeys {
  token: string
  aesKey: string
  /** The owner key of the plaintext (the appKey). */
  ownerKey: string
}

/** Throws DeliveryError unless `text` is the signed, encrypted "success" for these keys. */
export function checkDingTalkAck(text: string, keys: DingTalkPushKeys): void {
  let reply: Record<string, unknown>
  try {
    reply = JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new DeliveryError('the answer is not JSON')
  }
  const str = (value: unknown) => (typeof value === 'string' ? value : undefined)
  const encrypt = str(reply?.encrypt)
  if (
    !verifyDingtalkSignature(
      keys.token,
      str(reply?.timeStamp),
      str(reply?.nonce),
      encrypt,
      str(reply?.msg_signature),
    )
  )
    throw new DeliveryError('the answer is not signed with the token')
  let message: string
  try {
    message = decryptDingtalk(encrypt as string, keys.aesKey, keys.ownerKey)
  } catch {
    throw new DeliveryError('the answer does not decrypt for this app')
  }
  if (message !== 'success')
    throw new DeliveryError(`the answer says ${JSON.stringify(message.slice(0, 40))}`)
}

/** One delivery of `message`; resolves on the encrypted "success", throws DeliveryError otherwise. */
export async function postDingTalkEvent(
  url: string,
  message: object,
  keys: DingTalkPushKeys,
  attempt: DeliveryAttempt,
): Promise<void> {
  const encrypt = encryptDingtalk(JSON.stringify(message), keys.aesKey, keys.ownerKey)
  const timestamp = String(Date.now())
  const once = nonce()
  const signature = dingtalkSignature(keys.token, timestamp, once, encrypt)
  const target = new URL(url)
  target.searchParams.set('signature', attempt.wrongSignature ? corruptSignature(signature) : signature)
  target.searchParams.set('timestamp', timestamp)
  target.searchParams.set('nonce', once)
  const response = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ encrypt }),
    signal: attempt.signal,
  })
  const text = await response.text()
  if (response.status < 200 || response.status > 299) throw new DeliveryError(`HTTP ${response.status}`)
  checkDingTalkAck(text, keys)
}

/** Sends the event of every day change while a webhookUrl is configured; returns the unsubscribe. */
export function dingTalkWebhook(
  changes: DayChanges<DingTalkRow[]>,
  outbox: EventOutbox,
  settings: () => { events: DingTalkEventOptions; appKey: string; corpId: string },
): () => void {
  return changes.subscribe((change) => {
    const { events, appKey, corpId } = settings()
    const url = events.webhookUrl
    if (url === undefined || events.token === undefined || events.aesKey === undefined) return
    const keys = { token: events.token, aesKey: events.aesKey, ownerKey: events.appKey ?? appKey }
    const message = dingTalkDailySummaryEvent(change, corpId)
    outbox.send((attempt) => postDingTalkEvent(url, message, keys, attempt))
  })
}
