// DingTalk's stream mode as the official dingtalk-stream SDK meets it (vendor-docs/EVENTS.md, "Stream
// mode"): `POST /v1.0/gateway/connections/open` with {clientId, clientSecret, ua, subscriptions} answers
// {endpoint, ticket}; the client opens `${endpoint}?ticket=…`. Messages are JSON {specVersion, type,
// headers, data}: a SYSTEM ping is answered with code 200 and its data; an EVENT goes to ONE connected
// client that subscribed to events, which acks {code: 200, headers: {messageId}, data: '{"status":…}'};
// SUCCESS settles it, LATER or silence fails the delivery. The events are the webhook's data (events.ts),
// handed out through the simulator's EventOutbox (faults, retries, counters), and only while a client
// is connected. Nothing is signed on a stream, so the wrongSignature fault changes nothing here. The error
// body of a refused gateway call is not documented: a 400 with a code and a message, as DingTalk's newer
// APIs answer.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { WebSocket } from 'ws'
import { type ConnectionAttempt, ConnectionPool } from '../shared/connection-delivery.js'
import type { DayChanges } from '../shared/day-events.js'
import type { EventOutbox } from '../shared/event-delivery.js'
import { hash32, mulberry32, type Seed } from '../shared/prng.js'
import { listenSockets } from '../shared/socket-server.js'
import { isPlainObject, parseJsonBody, sendVendorReply } from '../shared/vendor-reply.js'
import { dingTalkDailySummaryEvent } from './events.js'
import type { DingTalkRow } from './types.js'

export const DINGTALK_GATEWAY_PATH = '/v1.0/gateway/connections/open'

/** What a test sees of the stream. */
export interface DingTalkStreamControls {
  /** Ids of the connections that take events now. */
  connections(): string[]
  /** Every delivery of an event so far: to which connection, and whether it was acked. */
  attempts(): ConnectionAttempt[]
  /** Sends a SYSTEM ping to every connection; returns how many were sent. */
  ping(): number
  /** Ping answers received (code 200, the ping's data echoed). */
  pongs(): number
  /** Ends every connection from the server side; the clients reconnect. */
  dropConnections(): number
}

export interface DingTalkStream extends DingTalkStreamControls {
  /** The simulator's vendor routes with the gateway route beside them. */
  beside(routes: (scope: FastifyInstance) => void): (scope: FastifyInstance) => void
  close(): Promise<void>
}

export interface DingTalkStreamSource {
  host: string
  appKey: string
  appSecret: string
  corpId: string
  faultSeed: Seed
}

interface Grant {
  connectionId: string
  events: boolean
}

export async function startDingTalkStream(
  source: DingTalkStreamSource,
  changes: DayChanges<DingTalkRow[]>,
  outbox: EventOutbox,
): Promise<DingTalkStream> {
  const sockets = new Map<string, WebSocket>()
  const pings = new Map<string, string>()
  let pongs = 0

  const pool = new ConnectionPool<string>(
    mulberry32(hash32(`${String(source.faultSeed)}\u001fdingtalk-stream`)),
    (connectionId, message) => {
      const socket = sockets.get(connectionId)
      if (!socket) throw new Error(`${connectionId} is not connected`)
      socket.send(message)
    },
  )

  const onAnswer = (text: string) => {
    let answer: { code?: unknown; headers?: { messageId?: unknown }; data?: unknown }
    try {
      answer = JSON.parse(text) as typeof answer
    } catch {
      return
    }
    const messageId = String(answer.headers?.messageId ?? '')
    const ping = pings.get(messageId)
    if (ping !== undefined) {
      pings.delete(messageId)
      if (answer.code === 200 && answer.data === ping) pongs++
      return
    }
    let status: unknown
    try {
      status = (JSON.parse(String(answer.data)) as { status?: unknown }).status
    } catch {
      status = undefined
    }
    pool.answered(messageId, answer.code === 200 && status === 'SUCCESS')
  }

  const server = await listenSockets<Grant>({
    host: source.host,
    path: '/connect',
    ticketParameter: 'ticket',
    onConnection: (socket, grant) => {
      sockets.set(grant.connectionId, socket)
      socket.on('message', (data, isBinary) => {
        if (!isBinary) onAnswer(data.toString())
      })
      socket.on('close', () => {
        sockets.delete(grant.connectionId)
        pool.disconnected(grant.connectionId)
      })
      if (grant.events) pool.connected(grant.connectionId)
    },
  })

  const message = (type: string, headers: Record<string, string>, data: string) =>
    JSON.stringify({ specVersion: '1.0', type, headers, data })

  const unsubscribe = changes.subscribe((change) => {
    if (pool.connectionIds.length === 0) return
    const event = dingTalkDailySummaryEvent(change, source.corpId)
    const data = JSON.stringify({ userId: event.userId, workDate: event.workDate })
    outbox.send(({ signal }) =>
      pool.deliver(
        event.eventId,
        (messageId) =>
          message(
            'EVENT',
            {
              appId: source.appKey,
              contentType: 'application/json',
              messageId,
              time: String(Date.now()),
              topic: event.EventType,
              eventType: event.EventType,
              eventBornTime: String(event.EventTime),
              eventId: event.eventId,
              eventCorpId: source.corpId,
              eventUnifiedAppId: source.appKey,
            },
            data,
          ),
        signal,
      ),
    )
  })

  return {
    beside: (routes) => (scope) => {
      routes(scope)
      scope.post(DINGTALK_GATEWAY_PATH, async (request, reply) => {
        const body = parseJsonBody(request.body)
        const given = isPlainObject(body) ? body : {}
        if (given.clientId !== source.appKey || given.clientSecret !== source.appSecret) {
          return sendVendorReply(reply, {
            status: 400,
            body: {
              code: 'InvalidAuthentication',
              requestid: randomUUID(),
              message: 'clientId or clientSecret is wrong',
            },
          })
        }
        const subscriptions = Array.isArray(given.subscriptions) ? given.subscriptions : []
        const events = subscriptions.some((entry) => isPlainObject(entry) && entry.type === 'EVENT')
        const ticket = server.issueTicket({ connectionId: `conn-${randomUUID()}`, events })
        return sendVendorReply(reply, { status: 200, body: { endpoint: `${server.url}/connect`, ticket } })
      })
    },
    connections: () => pool.connectionIds,
    attempts: () => pool.attempts(),
    ping: () => {
      for (const [connectionId, socket] of sockets) {
        const messageId = `ping-${randomUUID()}`
        const data = JSON.stringify({ opaque: randomUUID() })
        pings.set(messageId, data)
        const headers = {
          contentType: 'application/json',
          messageId,
          time: String(Date.now()),
          topic: 'ping',
        }
        socket.send(message('SYSTEM', { ...headers, connectionId }, data))
      }
      return sockets.size
    },
    pongs: () => pongs,
    dropConnections: () => server.dropAll(),
    close: async () => {
      unsubscribe()
      await server.close()
    },
  }
}
