// DingTalk's stream mode (vendor-docs/EVENTS.md, "Stream mode"): no public URL, the replica opens a
// WebSocket to the vendor. The protocol follows the official dingtalk-stream SDK's src/client.ts, which is
// not used itself: its gateway URL is a constant with no option (no simulator, no proxy), a disconnect()
// during a pending retry revives the client, and it acks before an asynchronous handler has finished.
//   POST <gateway>/v1.0/gateway/connections/open {clientId, clientSecret, ua, subscriptions} → {endpoint,
//   ticket}; WebSocket `${endpoint}?ticket=${ticket}`; SYSTEM ping → echo with code 200; EVENT → ack
//   {code: 200, headers: {contentType, messageId}, message: 'OK', data: '{"status":"SUCCESS"}'}.
// Here the ack is sent once the effect is applied, and LATER (the vendor delivers it again) when it failed.
import type { FastifyBaseLogger } from 'fastify'
import WebSocket from 'ws'
import type { DingTalkSourceConfig } from '../../config/source-config.js'
import type { EventConnection } from '../../domain/events/event-connection.js'
import type { EventEffects } from '../../domain/events/event-effects.js'
import { dingtalkApprovalIds, dingtalkEventDays } from './events.js'

export const DINGTALK_GATEWAY_PATH = '/v1.0/gateway/connections/open'
const VENDOR_API_HOST = 'oapi.dingtalk.com'
const VENDOR_GATEWAY = `https://api.dingtalk.com${DINGTALK_GATEWAY_PATH}`

/**
 * The gateway lives on api.dingtalk.com, not on the legacy API host the source reads from: a source on
 * the vendor's default base URL uses the vendor's gateway, any other base URL (a simulator, a proxy)
 * serves the gateway path itself.
 */
export function dingTalkGatewayUrl(baseUrl: string): string {
  return new URL(baseUrl).host === VENDOR_API_HOST ? VENDOR_GATEWAY : `${baseUrl}${DINGTALK_GATEWAY_PATH}`
}

export interface DingTalkStreamOptions {
  /** Wait before connecting again after a failure or a lost connection (the SDK's 1 s). */
  reconnectDelayMs: number
  /** A WebSocket ping this often; no pong by the next one ends the connection (the SDK's keepAlive, 8 s). */
  heartbeatMs: number
}

const DEFAULTS: DingTalkStreamOptions = { reconnectDelayMs: 1000, heartbeatMs: 8000 }

interface DownStream {
  type?: unknown
  headers?: Record<string, unknown>
  data?: unknown
}

export function startDingTalkStream(
  source: DingTalkSourceConfig,
  deps: { effects: EventEffects; log: FastifyBaseLogger },
  given: Partial<DingTalkStreamOptions> = {},
): EventConnection {
  const options = { ...DEFAULTS, ...given }
  const log = deps.log.child({ source: source.id, eventMode: 'stream' })
  let socket: WebSocket | undefined
  let retry: NodeJS.Timeout | undefined
  let heartbeat: NodeJS.Timeout | undefined
  let everConnected = false
  let closed = false

  const schedule = () => {
    if (closed || retry) return
    retry = setTimeout(() => {
      retry = undefined
      void connect()
    }, options.reconnectDelayMs)
    retry.unref()
  }

  const openConnection = async (): Promise<{ endpoint: string; ticket: string }> => {
    const response = await fetch(dingTalkGatewayUrl(source.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        clientId: source.appKey,
        clientSecret: source.appSecret,
        ua: 'attendance-aggregator',
        subscriptions: [{ type: 'EVENT', topic: '*' }],
      }),
      signal: AbortSignal.timeout(source.requestTimeoutMs),
    })
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>
    if (!response.ok) {
      throw new Error(`the gateway answered HTTP ${response.status} ${String(body.code ?? '')}`.trim())
    }
    if (typeof body.endpoint !== 'string' || typeof body.ticket !== 'string') {
      throw new Error('the gateway answered no endpoint or ticket')
    }
    return { endpoint: body.endpoint, ticket: body.ticket }
  }

  const send = (target: WebSocket, message: unknown) => {
    if (target.readyState === WebSocket.OPEN) target.send(JSON.stringify(message))
  }

  const onEvent = async (target: WebSocket, message: DownStream) => {
    const headers = message.headers ?? {}
    const messageId = String(headers.messageId ?? '')
    const type = String(headers.eventType ?? '')
    let status: 'SUCCESS' | 'LATER' = 'SUCCESS'
    try {
      const data = typeof message.data === 'string' ? (JSON.parse(message.data) as unknown) : message.data
      const record = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {}
      const eventId = String(headers.eventId ?? messageId)
      await deps.effects.apply({
        source: source.id,
        eventId,
        type,
        days: dingtalkEventDays(type, record, source),
        approvalIds: dingtalkApprovalIds(type, record),
      })
    } catch (error) {
      if (error instanceof SyntaxError) {
        log.warn({ eventType: type }, 'vendor event with data that is not JSON: ignored')
      } else {
        status = 'LATER'
        log.warn({ eventType: type, err: error }, 'vendor event not applied: asking for it again later')
      }
    }
    send(target, {
      code: 200,
      headers: { contentType: 'application/json', messageId },
      message: 'OK',
      data: JSON.stringify({ status }),
    })
  }

  const onMessage = (target: WebSocket, raw: WebSocket.RawData) => {
    let message: DownStream
    try {
      message = JSON.parse(raw.toString()) as DownStream
    } catch {
      log.warn('stream message that is not JSON: ignored')
      return
    }
    const topic = message.headers?.topic
    if (message.type === 'SYSTEM' && topic === 'ping') {
      send(target, { code: 200, headers: message.headers, message: 'OK', data: message.data })
    } else if (message.type === 'SYSTEM' && topic === 'disconnect') {
      // The gateway moves the connection elsewhere: reconnect through the gateway at once.
      target.close(1000, 'disconnect')
    } else if (message.type === 'EVENT') {
      void onEvent(target, message)
    }
  }

  const connect = async () => {
    if (closed) return
    let endpoint: { endpoint: string; ticket: string }
    try {
      endpoint = await openConnection()
    } catch (error) {
      log.warn({ err: error }, 'event connection failed: retrying')
      return schedule()
    }
    if (closed) return
    const target = new WebSocket(`${endpoint.endpoint}?ticket=${endpoint.ticket}`, {
      handshakeTimeout: source.requestTimeoutMs,
    })
    socket = target
    let alive = true
    target.on('open', () => {
      log.info(everConnected ? 'event connection up again' : 'event connection up')
      everConnected = true
      heartbeat = setInterval(() => {
        if (!alive) return target.terminate()
        alive = false
        target.ping()
      }, options.heartbeatMs)
      heartbeat.unref()
    })
    target.on('pong', () => {
      alive = true
    })
    target.on('message', (raw) => onMessage(target, raw))
    target.on('error', (error) => log.warn({ err: error }, 'event connection error'))
    target.on('close', () => {
      clearInterval(heartbeat)
      if (socket === target) socket = undefined
      if (closed) return
      log.warn('event connection lost: reconnecting')
      schedule()
    })
  }

  void connect()
  return {
    sourceId: source.id,
    connected: () => socket?.readyState === WebSocket.OPEN,
    close: async () => {
      closed = true
      clearTimeout(retry)
      clearInterval(heartbeat)
      const target = socket
      socket = undefined
      if (!target || target.readyState === WebSocket.CLOSED) return
      // A close handshake, bounded: a gateway that does not answer gets the socket cut.
      await new Promise<void>((resolve) => {
        const cut = setTimeout(() => {
          target.terminate()
          resolve()
        }, 1000)
        target.once('close', () => {
          clearTimeout(cut)
          resolve()
        })
        if (target.readyState === WebSocket.CONNECTING) target.terminate()
        else target.close(1000)
      })
    },
  }
}
