// Feishu's long-connection mode as the official SDK's WSClient meets it (vendor-docs/EVENTS.md,
// "Long-connection mode"): `POST /callback/ws/endpoint` with {AppID, AppSecret} answers a WebSocket URL and
// the client settings; on that socket every frame is a protobuf pbbp2.Frame. The client pings (control
// frame, type ping) and gets a pong carrying the settings; an event is a data frame (type event, payload
// the schema 2.0 envelope as JSON, split over `sum` frames when fragmentBytes is set) given to ONE
// connected client, which acks by echoing the frame with payload {"code":200}. The events are the
// webhook's envelopes (events.ts), handed out through the simulator's EventOutbox (faults, retries,
// counters), and only while a client is connected: an app that never connects has not chosen this mode.
// Nothing is signed on a connection, so the wrongSignature fault changes nothing here.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { WebSocket } from 'ws'
import { type ConnectionAttempt, ConnectionPool } from '../shared/connection-delivery.js'
import type { DayChanges } from '../shared/day-events.js'
import type { EventOutbox } from '../shared/event-delivery.js'
import { hash32, mulberry32, type Seed } from '../shared/prng.js'
import { listenSockets } from '../shared/socket-server.js'
import { isPlainObject, parseJsonBody, sendVendorReply } from '../shared/vendor-reply.js'
import type { FeishuEventOptions } from './event-options.js'
import { type FeishuEnvelope, feishuFlowEvents, feishuTaskEvent } from './events.js'
import {
  decodeFrame,
  encodeFrame,
  FRAME_CONTROL,
  FRAME_DATA,
  type Frame,
  frameHeader,
} from './frame-codec.js'
import type { FeishuUserTask } from './types.js'

export const FEISHU_WS_ENDPOINT_PATH = '/callback/ws/endpoint'
/** The vendor's limit per app. */
const MAX_CONNECTIONS = 50
const TOO_MANY_CONNECTIONS = 1000040350
const AUTH_FAILED = 514

export interface FeishuLongConnectionSettings {
  /** Sent to the clients in ClientConfig and in every pong (seconds, as the vendor does). */
  pingIntervalSeconds: number
  reconnectIntervalSeconds: number
  reconnectNonceSeconds: number
  /** Split an event's payload into frames of at most this many bytes; 0: one frame. */
  fragmentBytes: number
}

export const FEISHU_LONG_CONNECTION_DEFAULTS: FeishuLongConnectionSettings = {
  pingIntervalSeconds: 120,
  reconnectIntervalSeconds: 1,
  reconnectNonceSeconds: 0,
  fragmentBytes: 0,
}

/** What a test sees of the long connection. */
export interface FeishuLongConnectionControls {
  /** Ids of the clients connected now. */
  connections(): string[]
  /** Every delivery of an event so far: to which client, and whether it was acked. */
  attempts(): ConnectionAttempt[]
  /** Pings answered so far. */
  pings(): number
  configure(patch: Partial<FeishuLongConnectionSettings>): void
  /** Ends every connection from the server side; the clients reconnect. */
  dropConnections(): number
}

export interface FeishuLongConnection extends FeishuLongConnectionControls {
  /** The simulator's vendor routes with POST /callback/ws/endpoint beside them. */
  beside(routes: (scope: FastifyInstance) => void): (scope: FastifyInstance) => void
  close(): Promise<void>
}

export interface FeishuLongConnectionSource {
  host: string
  appId: string
  appSecret: string
  faultSeed: Seed
  /** Read at each change, as the webhook reads them. */
  current: () => { events: FeishuEventOptions; tenantKey: string; timezone: string }
}

export async function startFeishuLongConnection(
  source: FeishuLongConnectionSource,
  changes: DayChanges<FeishuUserTask>,
  outbox: EventOutbox,
): Promise<FeishuLongConnection> {
  const settings = { ...FEISHU_LONG_CONNECTION_DEFAULTS }
  const serviceId = 1 + (hash32(`${source.appId}\u001fservice`) % 1_000_000)
  const sockets = new Map<string, WebSocket>()
  let pings = 0
  let frameSeq = 1

  const clientConfig = () => ({
    PingInterval: settings.pingIntervalSeconds,
    ReconnectCount: -1,
    ReconnectInterval: settings.reconnectIntervalSeconds,
    ReconnectNonce: settings.reconnectNonceSeconds,
  })

  const pool = new ConnectionPool<Frame[]>(
    mulberry32(hash32(`${String(source.faultSeed)}\u001ffeishu-long-connection`)),
    (connectionId, frames) => {
      const socket = sockets.get(connectionId)
      if (!socket) throw new Error(`${connectionId} is not connected`)
      for (const frame of frames) socket.send(encodeFrame(frame))
    },
  )

  const onFrame = (socket: WebSocket, frame: Frame) => {
    const type = frameHeader(frame, 'type')
    if (frame.method === FRAME_CONTROL && type === 'ping') {
      pings++
      const pong: Frame = {
        SeqID: 0,
        LogID: 0,
        service: frame.service,
        method: FRAME_CONTROL,
        headers: [{ key: 'type', value: 'pong' }],
        payload: new TextEncoder().encode(JSON.stringify(clientConfig())),
      }
      socket.send(encodeFrame(pong))
      return
    }
    if (frame.method === FRAME_DATA && type === 'event') {
      const messageId = frameHeader(frame, 'message_id')
      if (messageId === undefined) return
      let code: unknown
      try {
        code = (JSON.parse(new TextDecoder().decode(frame.payload)) as { code?: unknown }).code
      } catch {
        code = undefined
      }
      pool.answered(messageId, code === 200)
    }
  }

  const server = await listenSockets<string>({
    host: source.host,
    path: '/ws/v2',
    ticketParameter: 'ticket',
    onConnection: (socket, connectionId) => {
      sockets.set(connectionId, socket)
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary) return
        try {
          onFrame(socket, decodeFrame(data))
        } catch {
          socket.close(1002, 'not a pbbp2.Frame')
        }
      })
      socket.on('close', () => {
        sockets.delete(connectionId)
        pool.disconnected(connectionId)
      })
      pool.connected(connectionId)
    },
  })

  const eventFrames = (messageId: string, envelope: FeishuEnvelope): Frame[] => {
    const bytes = new TextEncoder().encode(JSON.stringify(envelope))
    const size = settings.fragmentBytes > 0 ? settings.fragmentBytes : bytes.length
    const parts: Uint8Array[] = []
    for (let offset = 0; offset < bytes.length; offset += size)
      parts.push(bytes.subarray(offset, offset + size))
    const traceId = randomUUID()
    return parts.map((payload, seq) => ({
      SeqID: frameSeq,
      LogID: frameSeq++,
      service: serviceId,
      method: FRAME_DATA,
      headers: [
        { key: 'type', value: 'event' },
        { key: 'message_id', value: messageId },
        { key: 'sum', value: String(parts.length) },
        { key: 'seq', value: String(seq) },
        { key: 'trace_id', value: traceId },
      ],
      payload,
    }))
  }

  const unsubscribe = changes.subscribe((change) => {
    if (sockets.size === 0) return
    const { events, tenantKey, timezone } = source.current()
    // The long connection carries no Verification Token check: the connection itself is authenticated.
    const eventSource = { appId: source.appId, tenantKey, timezone, verificationToken: '' }
    const envelopes = [
      feishuTaskEvent(change, eventSource),
      ...(events.flowEvents ? feishuFlowEvents(change, eventSource) : []),
    ]
    for (const envelope of envelopes) {
      outbox.send(({ signal }) =>
        pool.deliver(envelope.header.event_id, (messageId) => eventFrames(messageId, envelope), signal),
      )
    }
  })

  return {
    beside: (routes) => (scope) => {
      routes(scope)
      scope.post(FEISHU_WS_ENDPOINT_PATH, async (request, reply) => {
        const body = parseJsonBody(request.body)
        const appId = isPlainObject(body) ? body.AppID : undefined
        const appSecret = isPlainObject(body) ? body.AppSecret : undefined
        if (appId !== source.appId || appSecret !== source.appSecret) {
          return sendVendorReply(reply, {
            status: 200,
            body: { code: AUTH_FAILED, msg: 'auth failed', data: {} },
          })
        }
        if (sockets.size >= MAX_CONNECTIONS) {
          return sendVendorReply(reply, {
            status: 200,
            body: { code: TOO_MANY_CONNECTIONS, msg: 'exceed connection limit', data: {} },
          })
        }
        const deviceId = `device-${randomUUID()}`
        const ticket = server.issueTicket(deviceId)
        const url = `${server.url}/ws/v2?fpid=1&aid=1&device_id=${deviceId}&service_id=${serviceId}&ticket=${ticket}`
        return sendVendorReply(reply, {
          status: 200,
          body: { code: 0, msg: 'ok', data: { URL: url, ClientConfig: clientConfig() } },
        })
      })
    },
    connections: () => [...sockets.keys()],
    attempts: () => pool.attempts(),
    pings: () => pings,
    configure: (patch) => {
      Object.assign(settings, patch)
    },
    dropConnections: () => server.dropAll(),
    close: async () => {
      unsubscribe()
      await server.close()
    },
  }
}
