// Shared by the hostile-input tests: one request shape for the corpus and the fuzzer, sending it (inject or a
// raw socket) with a time bound, and the checks every answer must pass.
import net from 'node:net'
import { Compile } from 'typebox/compile'
import { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import type { buildApp } from '../../src/service/app.js'
import type { LogCapture } from './test-app.js'

/**
 * A request as the corpus stores it (and as the fuzzer prints a counterexample, ready to paste).
 * body: a string sent as is, `{ base64 }` for raw bytes (invalid UTF-8), or `{ parts }` (also for the url)
 * for text too long to store.
 */
export interface HostileRequest {
  method: string
  url: string | Parts
  headers?: Record<string, string>
  body?: HostileBody
}

export type HostileBody = string | { base64: string } | Parts

/** Text too long to store: strings and runs of one string, concatenated. */
export interface Parts {
  parts: (string | { repeat: string; times: number })[]
}

export function textOf(text: string | Parts): string {
  if (typeof text === 'string') return text
  return text.parts.map((part) => (typeof part === 'string' ? part : part.repeat.repeat(part.times))).join('')
}

/**
 * What the answer must be: an exact status or a class ("4xx"), the error code when it matters, a regex the
 * error message must match, and a time bound tighter than REQUEST_BOUND_MS.
 */
export interface Expectation {
  status: number | '2xx' | '4xx'
  code?: string
  message?: string
  maxMs?: number
}

export interface Answer {
  statusCode: number
  headers: Record<string, unknown>
  raw: Buffer
  elapsedMs: number
}

/** No single request may take longer than this: a hang is a failure, not a slow test. */
export const REQUEST_BOUND_MS = 10_000

export function payloadOf(body: HostileBody | undefined): string | Buffer | undefined {
  if (body === undefined || typeof body === 'string') return body
  return 'base64' in body ? Buffer.from(body.base64, 'base64') : textOf(body)
}

async function bounded<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${REQUEST_BOUND_MS} ms`)),
      REQUEST_BOUND_MS,
    )
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

export type App = Awaited<ReturnType<typeof buildApp>>

export async function send(app: App, request: HostileRequest): Promise<Answer> {
  const started = performance.now()
  const url = textOf(request.url)
  const response = await bounded(
    app.inject({
      // light-my-request types the method as a union; anything else is a 404, which the checks accept.
      method: request.method as 'GET',
      url,
      ...(request.headers ? { headers: request.headers } : {}),
      ...(request.body !== undefined ? { payload: payloadOf(request.body) } : {}),
    }),
    `${request.method} ${url.slice(0, 100)}`,
  )
  return {
    statusCode: response.statusCode,
    headers: response.headers,
    raw: response.rawPayload,
    elapsedMs: performance.now() - started,
  }
}

/**
 * Writes bytes to a real socket and reads the answer: for what inject cannot send, such as raw non-ASCII
 * or control bytes in the request line, which Node's HTTP parser refuses before Fastify routes anything.
 */
export async function sendRaw(port: number, bytes: Buffer): Promise<Answer> {
  const started = performance.now()
  const text = await bounded(
    new Promise<Buffer>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1')
      const chunks: Buffer[] = []
      socket.on('data', (chunk) => chunks.push(chunk))
      socket.on('close', () => resolve(Buffer.concat(chunks)))
      socket.on('error', reject)
      socket.write(bytes)
    }),
    'raw request',
  )
  const split = text.indexOf('\r\n\r\n')
  const head = text.subarray(0, split < 0 ? text.length : split).toString('latin1')
  const [statusLine = '', ...headerLines] = head.split('\r\n')
  const headers: Record<string, unknown> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  const body = split < 0 ? Buffer.alloc(0) : text.subarray(split + 4)
  return {
    statusCode: Number(statusLine.split(' ')[1]),
    headers,
    raw: headers['transfer-encoding'] === 'chunked' ? dechunk(body) : body,
    elapsedMs: performance.now() - started,
  }
}

function dechunk(body: Buffer): Buffer {
  const chunks: Buffer[] = []
  let at = 0
  for (;;) {
    const end = body.indexOf('\r\n', at)
    const size = end < 0 ? 0 : Number.parseInt(body.subarray(at, end).toString('latin1'), 16)
    if (!size) return Buffer.concat(chunks)
    chunks.push(body.subarray(end + 2, end + 2 + size))
    at = end + 2 + size + 2
  }
}

/** Counts the 'vendor call' log lines written since it was last asked, reading only the new lines. */
export function vendorCallCounter(logs: LogCapture): () => number {
  let seen = logs.lines.length
  return () => {
    let calls = 0
    for (; seen < logs.lines.length; seen++) {
      const line = logs.lines[seen] ?? ''
      if (line.includes('vendor call') && (JSON.parse(line) as { msg?: unknown }).msg === 'vendor call')
        calls++
    }
    return calls
  }
}

const checkResponse = Compile(AttendanceResponse)
const ERROR_KEYS = ['code', 'error', 'message', 'statusCode']
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * What every answer to any request must satisfy, plus `expected` when given. Returns the problems found
 * (empty when none) so that the fuzzer can throw and the corpus can report them.
 */
export function problemsWith(answer: Answer, vendorCalls: number, expected?: Expectation): string[] {
  const problems: string[] = []
  const { statusCode } = answer
  if (answer.elapsedMs > REQUEST_BOUND_MS) problems.push(`took ${Math.round(answer.elapsedMs)} ms`)
  if (statusCode >= 500) problems.push(`answered ${statusCode}`)
  if (statusCode !== 200 && !(statusCode >= 400 && statusCode < 500)) problems.push(`status ${statusCode}`)
  if (expected) {
    const { status, code } = expected
    const ok =
      status === '2xx'
        ? statusCode >= 200 && statusCode < 300
        : status === '4xx'
          ? statusCode >= 400 && statusCode < 500
          : statusCode === status
    if (!ok) problems.push(`expected ${status}, got ${statusCode}`)
    const body = parse(answer.raw)
    const error = isRecord(body) && statusCode !== 200 ? body : {}
    if (code !== undefined && error.code !== code)
      problems.push(`expected code ${code}, got ${String(error.code)}`)
    if (expected.message !== undefined && !new RegExp(expected.message).test(String(error.message))) {
      problems.push(`expected a message matching /${expected.message}/, got ${String(error.message)}`)
    }
    if (expected.maxMs !== undefined && answer.elapsedMs > expected.maxMs) {
      problems.push(`took ${Math.round(answer.elapsedMs)} ms, more than ${expected.maxMs}`)
    }
  }
  if (statusCode !== 200 && vendorCalls > 0) problems.push(`${vendorCalls} vendor calls for a ${statusCode}`)

  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(answer.raw)
  } catch {
    problems.push('the body is not valid UTF-8')
    return problems
  }
  if (!String(answer.headers['content-type'] ?? '').startsWith('application/json')) {
    problems.push(`content-type ${String(answer.headers['content-type'])}`)
  }
  const body = parse(answer.raw)
  if (body === undefined) {
    problems.push(`the body is not JSON: ${text.slice(0, 200)}`)
    return problems
  }
  if (statusCode === 200) {
    if (!checkResponse.Check(body)) {
      const first = checkResponse.Errors(body)[0]
      problems.push(`not an AttendanceResponse: ${first?.instancePath} ${first?.message}`)
    }
    return problems
  }
  if (!isRecord(body)) {
    problems.push(`the error body is not an object: ${text.slice(0, 200)}`)
    return problems
  }
  const keys = Object.keys(body).sort()
  if (keys.join() !== ERROR_KEYS.join())
    problems.push(`error body keys ${keys.join()}: ${text.slice(0, 200)}`)
  if (body.statusCode !== statusCode) problems.push(`error body statusCode ${String(body.statusCode)}`)
  for (const key of ['code', 'error', 'message']) {
    if (typeof body[key] !== 'string' || body[key] === '') problems.push(`error body ${key} is not a string`)
  }
  if (typeof body.message === 'string') {
    if (LONE_SURROGATE.test(body.message)) problems.push('the error message holds a lone surrogate')
    if (body.message.length > 2000)
      problems.push(`the error message is ${body.message.length} characters long`)
  }
  return problems
}

/** Nothing reachable from a plain object changed: no prototype pollution. */
export function prototypeSnapshot(): string {
  const inherited: string[] = []
  for (const key in {}) inherited.push(key)
  return JSON.stringify({
    object: Reflect.ownKeys(Object.prototype).map(String).sort(),
    array: Reflect.ownKeys(Array.prototype).map(String).sort(),
    function: Reflect.ownKeys(Function.prototype).map(String).sort(),
    inherited,
    polluted: ({} as Record<string, unknown>).polluted,
  })
}

function parse(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown
  } catch {
    return undefined
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
