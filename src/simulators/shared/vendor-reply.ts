import type { FastifyReply } from 'fastify'

/** An answer in a vendor's wire format: status, JSON body and any extra headers. */
export interface VendorReply {
  status: number
  body: unknown
  headers?: Record<string, string>
}

export function sendVendorReply(reply: FastifyReply, answer: VendorReply): FastifyReply {
  if (answer.headers) reply.headers(answer.headers)
  return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body)
}

/**
 * `answer` with its body cut off half-way: HTTP 200 and a JSON content type, but text that does not parse
 * (a strict prefix of a JSON object never does). What a client sees when a proxy drops the rest of a body.
 */
export function sendCutOffReply(reply: FastifyReply, answer: VendorReply): FastifyReply {
  // Some answers are already JSON text (the Feishu answer cache keeps them so).
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
  return reply
    .code(200)
    .type('application/json; charset=utf-8')
    .send(text.slice(0, Math.max(1, Math.floor(text.length / 2))))
}

const GATEWAY_PAGE = [
  '<html>',
  '<head><title>502 Bad Gateway</title></head>',
  '<body>',
  '<center><h1>502 Bad Gateway</h1></center>',
  '<hr><center>nginx</center>',
  '</body>',
  '</html>',
  '',
].join('\r\n')

/** A gateway's HTML error page instead of the vendor's JSON: HTTP 502, text/html. */
export function sendHtmlErrorPage(reply: FastifyReply): FastifyReply {
  return reply.code(502).type('text/html').send(GATEWAY_PAGE)
}

/** Reads a JSON body that arrived as a string; undefined when it is absent or not JSON. */
export function parseJsonBody(body: unknown): unknown {
  if (typeof body !== 'string' || body === '') return undefined
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

/** Whether a Content-Type header names JSON (any parameters, such as charset=utf-8, allowed). */
export function isJsonContentType(header: string | undefined): boolean {
  return header?.split(';')[0]?.trim().toLowerCase() === 'application/json'
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
