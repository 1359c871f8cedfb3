// Feishu's webhook mode: each event POSTed to the request URL as the vendor does. With an Encrypt Key the
// body is {"encrypt": …} (AES-256-CBC, key SHA-256 of the Encrypt Key) and signed over the bytes sent:
// X-Lark-Signature = sha256(timestamp + nonce + Encrypt Key + body), X-Lark-Request-Timestamp in seconds;
// without one the envelope goes as plain JSON, unsigned (the Verification Token is then the only check).
// Each attempt is built afresh (IV, nonce, timestamp, signature), so a duplicate is a vendor redelivery. A
// 2xx is the acknowledgement; Feishu waits 3 s for it.
import { randomBytes } from 'node:crypto'
import { encryptFeishu, feishuSignature } from '../../vendors/feishu/crypto.js'
import type { DayChanges } from '../shared/day-events.js'
import {
  corruptSignature,
  type DeliveryAttempt,
  DeliveryError,
  type EventOutbox,
} from '../shared/event-delivery.js'
import type { FeishuEventOptions } from './event-options.js'
import { type FeishuEnvelope, type FeishuEventSource, feishuFlowEvents, feishuTaskEvent } from './events.js'
import type { FeishuUserTask } from './types.js'

/** How long Feishu waits for the 200 before it counts the push failed. */
export const FEISHU_ACK_TIMEOUT_MS = 3000

export interface FeishuWebhookSettings {
  events: FeishuEventOptions
  appId: string
  tenantKey: string
  timezone: string
}

/** One delivery of `envelope`; resolves on a 2xx, throws DeliveryError otherwise. */
export async function postFeishuEvent(
  url: string,
  envelope: FeishuEnvelope,
  events: FeishuEventOptions,
  attempt: DeliveryAttempt,
): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' }
  let body: string
  if (events.encryptKey) {
    body = JSON.stringify({ encrypt: encryptFeishu(JSON.stringify(envelope), events.encryptKey) })
    const timestamp = String(Math.floor(Date.now() / 1000))
    const nonce = randomBytes(8).toString('hex')
    const signature = feishuSignature(timestamp, nonce, events.encryptKey, Buffer.from(body, 'utf8'))
    headers['x-lark-request-timestamp'] = timestamp
    headers['x-lark-request-nonce'] = nonce
    headers['x-lark-signature'] = attempt.wrongSignature ? corruptSignature(signature) : signature
  } else {
    // Nothing is signed without an Encrypt Key: the forger's mistake is then a wrong token.
    const token = attempt.wrongSignature ? `${envelope.header.token}-forged` : envelope.header.token
    body = JSON.stringify({ ...envelope, header: { ...envelope.header, token } })
  }
  const response = await fetch(url, { method: 'POST', headers, body, signal: attempt.signal })
  await response.arrayBuffer()
  if (response.status < 200 || response.status > 299) throw new DeliveryError(`HTTP ${response.status}`)
}

/** Sends the events of every day change while a webhookUrl is configured; returns the unsubscribe. */
export function feishuWebhook(
  changes: DayChanges<FeishuUserTask>,
  outbox: EventOutbox,
  settings: () => FeishuWebhookSettings,
): () => void {
  return changes.subscribe((change) => {
    const { events, appId, tenantKey, timezone } = settings()
    const url = events.webhookUrl
    if (url === undefined) return
    const source: FeishuEventSource = {
      appId,
      tenantKey,
      timezone,
      verificationToken: events.verificationToken ?? '',
    }
    const envelopes = [
      feishuTaskEvent(change, source),
      ...(events.flowEvents ? feishuFlowEvents(change, source) : []),
    ]
    for (const envelope of envelopes) {
      outbox.send((attempt) => postFeishuEvent(url, envelope, events, attempt))
    }
  })
}
