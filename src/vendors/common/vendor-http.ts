// One got instance per source: base URL, keep-alive agent, per-call timeout. Retries are not got's: they
// depend on codes inside HTTP 200 bodies and on the shared rate limiter, which got cannot see.
import http from 'node:http'
import https from 'node:https'
import type { FastifyBaseLogger } from 'fastify'
import { type Got, got, type Method, RequestError } from 'got'
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
}

export interface VendorHttpOptions {
  source: string
  baseUrl: string
  requestTimeoutMs: number
  maxSockets: number
  log: FastifyBaseLogger
  /** Reads the vendor's own code from a body, for the one log line per call. */
  vendorCodeOf: (body: unknown) => unknown
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
    try {
      const response = await this.client(request.path.replace(/^\//, ''), {
        method: request.method,
        searchParams: request.searchParams,
        headers: request.headers,
        json: request.json,
        signal: request.signal,
        timeout: { request: timeoutMs },
      })
      const body = parseJson(response.body)
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
      const failure = toVendorError(error, request.endpoint)
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
