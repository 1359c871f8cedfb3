// The WebSocket side of a vendor's connection mode. As at both vendors, the app first asks the HTTP API
// for an endpoint and a one-time ticket, then opens a WebSocket to a host of its own (Feishu's
// msg-frontier, DingTalk's wss-open-connection): here a second port. A handshake without a live ticket is
// refused (HTTP 403) and the client retries through the HTTP API again.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { type WebSocket, WebSocketServer } from 'ws'

/** Tickets are good for one handshake within this time. */
const TICKET_TTL_MS = 5 * 60_000

export interface SocketServer<Grant> {
  /** e.g. ws://127.0.0.1:40125 */
  url: string
  /** A one-time ticket that lets one handshake in and hands `grant` to onConnection. */
  issueTicket(grant: Grant): string
  /** Ends every open connection from the server side (the clients reconnect); returns how many. */
  dropAll(): number
  close(): Promise<void>
}

export async function listenSockets<Grant>(options: {
  host: string
  path: string
  /** The query parameter that carries the ticket. */
  ticketParameter: string
  onConnection: (socket: WebSocket, grant: Grant, request: IncomingMessage) => void
}): Promise<SocketServer<Grant>> {
  const tickets = new Map<string, { grant: Grant; expiresAt: number }>()
  const granted = new WeakMap<IncomingMessage, Grant>()
  const server = new WebSocketServer({
    host: options.host,
    port: 0,
    path: options.path,
    verifyClient: ({ req }, done) => {
      const ticket = new URL(req.url ?? '/', 'ws://simulator').searchParams.get(options.ticketParameter)
      const issued = ticket === null ? undefined : tickets.get(ticket)
      if (ticket !== null) tickets.delete(ticket)
      if (!issued || issued.expiresAt < Date.now()) return done(false, 403, 'no live ticket')
      granted.set(req, issued.grant)
      done(true)
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  server.on('connection', (socket, request) => {
    const grant = granted.get(request) as Grant
    options.onConnection(socket, grant, request)
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('socket server is not on TCP')
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closed: Promise<void> | undefined
  return {
    url: `ws://${host}:${address.port}`,
    issueTicket: (grant) => {
      const ticket = randomUUID()
      tickets.set(ticket, { grant, expiresAt: Date.now() + TICKET_TTL_MS })
      return ticket
    },
    dropAll: () => {
      const count = server.clients.size
      for (const socket of server.clients) socket.terminate()
      return count
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        for (const socket of server.clients) socket.terminate()
        server.close(() => resolve())
      })
      return closed
    },
  }
}
