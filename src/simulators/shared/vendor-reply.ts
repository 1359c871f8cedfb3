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
