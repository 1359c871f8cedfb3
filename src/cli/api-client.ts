// The service's HTTP API as the CLI calls it, on Node's global fetch. Every refusal becomes an ApiError
// that reads `code: message`, as the service wrote it; the API key goes in one header and nowhere else, so
// no message, URL or error can show it.
//
// A request refused with 429 (the key's rate, shared with other clients) or 503 (load shedding, the store
// away) was not carried out, so it is sent again after the Retry-After the service gave, at most
// MAX_RETRY_WAIT_MS a wait and MAX_ATTEMPTS attempts in all; then the command gives up with EXIT.busy.
// As the AWS SDKs and Google's client libraries do: honour the server's delay, bound the attempts.
import { setTimeout as sleepFor } from 'node:timers/promises'
import type { ErrorResponse } from '../schemas/error.js'
import type { ExportJob } from '../schemas/export.js'
import type { ExportFields, PlanAnswer, QueryFields, SourcesAnswer } from './api-types.js'
import { CliError, EXIT, type ExitCode } from './exit-codes.js'

// A JSON call that takes longer than this is treated as lost; downloads are not bounded (files are large).
const REQUEST_TIMEOUT_MS = 30_000
/** Attempts of one request refused with 429 or 503, the first included. */
export const MAX_ATTEMPTS = 5
/** The longest wait before an attempt, whatever Retry-After says (an hour would look like a hang). */
export const MAX_RETRY_WAIT_MS = 60_000
/** The wait when a 429 or 503 comes without Retry-After (a proxy's answer, say). */
export const NO_RETRY_AFTER_WAIT_MS = 1000
/** Statuses that say the request was refused before it was carried out, and may pass with time. */
const RETRIED_STATUSES = new Set([429, 503])

export class ApiError extends CliError {
  constructor(
    message: string,
    /** HTTP status; 0 when the service could not be reached. */
    readonly status: number,
    readonly code: string,
    /** The service's Retry-After, in ms, when it sent one. */
    readonly retryAfterMs?: number,
    exitCode: ExitCode = EXIT.http,
  ) {
    super(message, exitCode)
    this.name = 'ApiError'
  }

  /** Worth asking again: the service was unreachable, busy, throttling or behind a failing gateway. */
  get transient(): boolean {
    return (
      this.status === 0 ||
      this.status === 429 ||
      this.status === 502 ||
      this.status === 503 ||
      this.status === 504
    )
  }
}

interface RequestOptions {
  body?: unknown
  headers?: Record<string, string>
  /** Give up after REQUEST_TIMEOUT_MS. */
  timeout?: boolean
  /** The caller's own reason to stop (Ctrl-C). */
  signal?: AbortSignal | undefined
}

export interface ApiClientOptions {
  url: string
  apiKey?: string | undefined
  /** Waits before a retry; rejects when the signal aborts. Tests pass one that records instead. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Told each retry, as a line for the user (default: stderr). */
  onRetry?: (line: string) => void
}

const sleepUnlessAborted = (ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, { signal })
const sayOnStderr = (line: string) => {
  process.stderr.write(`${line}\n`)
}

export class ApiClient {
  private readonly base: string

  constructor(private readonly options: ApiClientOptions) {
    // Joined by hand rather than with new URL(path, base), which would drop a base path such as /api.
    this.base = options.url.replace(/\/+$/, '')
  }

  submitExport(fields: ExportFields, idempotencyKey?: string): Promise<ExportJob> {
    const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}
    return this.json('POST', '/attendance/exports', { body: fields, headers })
  }

  getExport(id: string, signal?: AbortSignal): Promise<ExportJob> {
    return this.json('GET', `/attendance/exports/${encodeURIComponent(id)}`, { signal })
  }

  async cancelExport(id: string): Promise<void> {
    await this.request('DELETE', `/attendance/exports/${encodeURIComponent(id)}`, { timeout: true })
  }

  /** The file's bytes as they arrive; the caller checks them against the job's sha256. */
  async downloadExport(id: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const path = `/attendance/exports/${encodeURIComponent(id)}/file`
    const response = await this.request('GET', path, { signal })
    if (!response.body) throw new ApiError('the file download had no body', response.status, 'EMPTY_BODY')
    return response.body
  }

  plan(fields: QueryFields): Promise<PlanAnswer> {
    return this.json('POST', '/attendance/plan', { body: fields })
  }

  sources(): Promise<SourcesAnswer> {
    return this.json('GET', '/sources')
  }

  private async json<T>(method: string, path: string, options: Omit<RequestOptions, 'timeout'> = {}) {
    const response = await this.request(method, path, { ...options, timeout: true })
    try {
      return (await response.json()) as T
    } catch {
      throw new ApiError(`${method} ${path}: the answer is not JSON`, response.status, 'BAD_RESPONSE')
    }
  }

  /** One request, sent again while the service answers 429 or 503 (see the top of the file). */
  private async request(method: string, path: string, options: RequestOptions): Promise<Response> {
    const { sleep = sleepUnlessAborted, onRetry = sayOnStderr } = this.options
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(method, path, options)
      } catch (error) {
        if (!(error instanceof ApiError) || !RETRIED_STATUSES.has(error.status)) throw error
        if (attempt >= MAX_ATTEMPTS) throw givenUp(error)
        const waitMs = Math.min(error.retryAfterMs ?? NO_RETRY_AFTER_WAIT_MS, MAX_RETRY_WAIT_MS)
        onRetry(
          `${error.message}; trying again in ${waitMs / 1000} s (attempt ${attempt + 1} of ${MAX_ATTEMPTS})`,
        )
        await sleep(waitMs, options.signal)
      }
    }
  }

  private async send(
    method: string,
    path: string,
    { body, headers = {}, timeout, signal }: RequestOptions,
  ): Promise<Response> {
    const allHeaders: Record<string, string> = { accept: 'application/json', ...headers }
    if (this.options.apiKey) allHeaders.authorization = `Bearer ${this.options.apiKey}`
    if (body !== undefined) allHeaders['content-type'] = 'application/json'
    let response: Response
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: allHeaders,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.any([
          ...(timeout ? [AbortSignal.timeout(REQUEST_TIMEOUT_MS)] : []),
          ...(signal ? [signal] : []),
        ]),
      })
    } catch (error) {
      throw unreachable(this.base, error)
    }
    if (!response.ok) throw await refusal(response)
    return response
  }
}

function givenUp(last: ApiError): ApiError {
  return new ApiError(
    `${last.message} (still refused after ${MAX_ATTEMPTS} attempts)`,
    last.status,
    last.code,
    last.retryAfterMs,
    EXIT.busy,
  )
}

function unreachable(base: string, error: unknown): ApiError {
  if (error instanceof DOMException && error.name === 'TimeoutError')
    return new ApiError(`TIMEOUT: ${base} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`, 0, 'TIMEOUT')
  // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is on its cause.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  const code = cause?.code ?? 'UNREACHABLE'
  return new ApiError(`${code}: cannot reach ${base} (${cause?.message ?? String(error)})`, 0, code)
}

async function refusal(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '')
  let body: Partial<ErrorResponse> = {}
  try {
    body = JSON.parse(text) as Partial<ErrorResponse>
  } catch {
    // Not the service's error shape: a proxy's HTML page, say. The status is all there is to tell.
  }
  const code = body.code ?? `HTTP_${response.status}`
  const message = body.message ?? (response.statusText || 'the service refused the request')
  const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN)
  return new ApiError(
    `${code}: ${message}`,
    response.status,
    code,
    Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined,
  )
}
