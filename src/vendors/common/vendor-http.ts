// One got instance per source: base URL, keep-alive agent, per-call timeout. Retries are not got's: they
// depend on codes inside HTTP 200 bodies and on the shared rate limiter, which got cannot see.
import http from 'node:http'
import https from 'node:https'
import type { Socket } from 'node:net'
import { TLSSocket } from 'node:tls'
import type { FastifyBaseLogger } from 'fastify'
import { type Got, got, type Method, RequestError } from 'got'
import type { SourceMetrics } from '../../platform/metrics/service-metrics.js'
import { VendorError } from './vendor-error.js'

export interface VendorResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  /** The parsed JSON body, or undefined when the body is not JSON (an HTML error page, say). */
  body: unknown
}

export interface VendorRequest {
  /** A name for logs and metrics, e.g. 'user_tasks/query'; never the full URL (it may carry a token). */
  endpoint: string
  method: Method
  path: string
  searchParams?: Record<string, string>
  headers?: Record<string, string>
  json?: unknown
  signal: AbortSignal
  deadline: number
  attempt: number
  log?: FastifyBaseLogger | undefined
  /**
   * Asked when a socket is assigned to the request, before Node writes a byte of it. False abandons the
   * request unsent: send() then rejects with UnsentRequest (the rate limiter's permit went stale).
   */
  beforeWrite?: () => boolean
  /**
   * On a socket that was still connecting when it was assigned (DNS, TCP and, for HTTPS, TLS): called
   * once it is connected, which is when the request really leaves.
   */
  afterConnect?: () => void
}

/** The request was abandoned before a byte of it was written (beforeWrite said no): the vendor saw nothing. */
export class UnsentRequest extends Error {
  constructor() {
    super('the request was abandoned before it was written')
    this.name = 'UnsentRequest'
  }
}

export interface VendorHttpOptions {
  source: string
  baseUrl: string
  requestTimeoutMs: number
  maxSockets: number
  log: FastifyBaseLogger
  /** Reads the vendor's own code from a body, for the one log line per call. */
  vendorCodeOf: (body: unknown) => unknown
  /** Observes each exchange's duration. */
  metrics?: SourceMetrics
}

export class VendorHttp {
  private readonly client: Got
  private readonly agents: { http: http.Agent; https: https.Agent }

  constructor(private readonly options: VendorHttpOptions) {
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: options.maxSockets }),
      https: new https.Agent({ keepAlive: true, maxSockets: options.maxSockets }),
    }
    this.client = got.extend({
      prefixUrl: options.baseUrl,
      agent: this.agents,
      retry: { limit: 0 },
      throwHttpErrors: false,
      responseType: 'text',
      headers: { 'user-agent': 'attendance-aggregator/1.0', accept: 'application/json' },
    })
  }

  async send(request: VendorRequest): Promise<VendorResponse> {
    const started = performance.now()
    const log = request.log ?? this.options.log
    const timeoutMs = Math.min(this.options.requestTimeoutMs, request.deadline - Date.now())
    if (timeoutMs <= 0) throw new VendorError('TIMEOUT', 'the query deadline passed before the vendor call')
    let unsent = false
    try {
      const call = this.client(request.path.replace(/^\//, ''), {
        method: request.method,
        searchParams: request.searchParams,
        headers: request.headers,
        json: request.json,
        signal: request.signal,
        timeout: { request: timeoutMs },
      })
      const { beforeWrite, afterConnect } = request
      if (beforeWrite || afterConnect) {
        call.on('request', (outgoing: http.ClientRequest) => {
          // 'socket' comes before Node flushes the request to it: destroying the request there sends
          // nothing. A socket still connecting holds the request until it is connected (for HTTPS, until
          // the TLS handshake is done: 'secureConnect'), a network round trip or more later.
          outgoing.once('socket', (socket: Socket) => {
            if (beforeWrite && !beforeWrite()) {
              unsent = true
              outgoing.destroy()
              return
            }
            if (afterConnect && socket.connecting) {
              socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', afterConnect)
            }
          })
        })
      }
      const response = await call
      const body = parseJson(withoutCredentials(response.body, request))
      this.options.metrics?.vendorLatency(request.endpoint, (performance.now() - started) / 1000)
      log.info(
        {
          source: this.options.source,
          endpoint: request.endpoint,
          status: response.statusCode,
          vendorCode: body === undefined ? 'not-json' : this.options.vendorCodeOf(body),
          durationMs: Math.round(performance.now() - started),
          attempt: request.attempt,
        },
        'vendor call',
      )
      return { statusCode: response.statusCode, headers: response.headers, body }
    } catch (error) {
      if (request.signal.aborted) throw request.signal.reason
      if (unsent) throw new UnsentRequest()
      const failure = toVendorError(error, request.endpoint)
      this.options.metrics?.vendorLatency(request.endpoint, (performance.now() - started) / 1000)
      log.warn(
        {
          source: this.options.source,
          endpoint: request.endpoint,
          status: null,
          error: failure.vendorCode,
          durationMs: Math.round(performance.now() - started),
          attempt: request.attempt,
        },
        'vendor call failed',
      )
      throw failure
    }
  }

  close(): void {
    this.agents.http.destroy()
    this.agents.https.destroy()
  }
}

/**
 * The answer with every credential the request carried (access_token, appsecret, the Authorization token,
 * app_secret) blanked out. A vendor message that echoes the request ("不合法的参数 …?access_token=…") would
 * otherwise carry the token into a source report's error message, which the client reads.
 */
function withoutCredentials(text: string, request: VendorRequest): string {
  let safe = text
  for (const credential of credentialsOf(request)) {
    if (safe.includes(credential)) safe = safe.split(credential).join('[REDACTED]')
  }
  return safe
}

const CREDENTIAL_NAME = /token|secret/i

function credentialsOf(request: VendorRequest): string[] {
  const named = (fields: object | undefined) =>
    Object.entries(fields ?? {})
      .filter(([name, value]) => CREDENTIAL_NAME.test(name) && typeof value === 'string')
      .map(([, value]) => value as string)
  const authorization = request.headers?.authorization?.replace(/^Bearer\s+/i, '')
  const json = typeof request.json === 'object' && request.json !== null ? request.json : undefined
  return [...named(request.searchParams), ...named(json), ...(authorization ? [authorization] : [])].filter(
    // Very short values would mangle the text (and are no real credentials).
    (value) => value.length >= 6,
  )
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Network-level failures. got's own message is never used: it contains the URL, and DingTalk's has the token. */
function toVendorError(error: unknown, endpoint: string): VendorError {
  const code = error instanceof RequestError ? error.code : undefined
  if (code === 'ETIMEDOUT') {
    return new VendorError('TIMEOUT', `the vendor did not answer ${endpoint} in time`, {
      vendorCode: code,
      retryable: true,
    })
  }
  return new VendorError(
    'VENDOR_UNAVAILABLE',
    `the vendor could not be reached for ${endpoint} (${code ?? 'network error'})`,
    {
      vendorCode: code ?? null,
      retryable: true,
    },
  )
}
