import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { GET_USERS_ANY_IDS, MAX_HEADER_BYTES } from '../../../schemas/attendance-query.js'

/** Past the header limit: almost always a GET whose `users` list belongs in a POST body. */
const HEADERS_TOO_LARGE = `the request line and headers are larger than ${MAX_HEADER_BYTES} bytes: a long users list goes in a POST body (a GET carries at least ${GET_USERS_ANY_IDS} users)`

/**
 * Answers requests Node cannot even parse (raw bytes in the request line, NUL in a header, two
 * Content-Length headers, oversized headers) in the service's error shape instead of Fastify's default
 * body, which has no `code`. Such requests never reach a route, so this runs on the socket.
 */
export function clientErrorHandler(error: Error, socket: Socket): void {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ECONNRESET' || socket.destroyed) return
  const statusCode = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  const message =
    statusCode === 431
      ? HEADERS_TOO_LARGE
      : statusCode === 408
        ? 'the request took too long to arrive'
        : 'the request is not valid HTTP'
  const body = JSON.stringify({
    statusCode,
    code: 'ATT_BAD_HTTP_REQUEST',
    error: STATUS_CODES[statusCode],
    message,
  })
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}
