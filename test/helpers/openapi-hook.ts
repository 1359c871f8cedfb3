// Every answer of every app the test helpers build is held against the OpenAPI document that app serves
// (/docs/json), whatever the test asserts itself: a route, a status or a header that drifts from the
// document fails the test that provoked it, with the operation, the status and the first schema error.
// Answers through app.inject and over a real socket alike (the hook sees what the server writes), and the
// 431 that Node's parser answers before any route (the socket's clientError). A HEAD answer of a GET route
// (not listed in the document) is held as that GET's answer without its body. The count of answers checked
// goes to a file when the process exits (README, "Running parts of the suite").
import { appendFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { buildApp } from '../../src/service/app.js'
import { OpenApiContract, type OpenApiDocument, type SeenAnswer, type Verdict } from './openapi-contract.js'

type App = Awaited<ReturnType<typeof buildApp>>

/** Where a mismatch is reported: the test that built the app (tap's `t`), which then fails. */
export interface MismatchSink {
  fail(message: string): void
}

/** Served on purpose outside the document: the document itself, Swagger UI, and Prometheus' scrape. */
const UNDOCUMENTED_ROUTES = [/^\/docs(\/|$)/, /^\/metrics$/]

/**
 * Where each test process adds a line with its counts when it exits: the file scripts/test-parts.mjs names
 * for its run (it prints the sum at the end), or one in the OS temp dir for a bare `tap`.
 */
export const HOOK_TALLY_FILE =
  process.env.OPENAPI_HOOK_TALLY ?? join(tmpdir(), 'attendance-openapi-hook.ndjson')

const tally = {
  validated: 0,
  outside: 0,
  cutShort: 0,
  mismatches: 0,
  expectedMismatches: 0,
  seen: {} as Record<string, number>,
}
let tallyWritten = false

function writeTally(): void {
  if (tallyWritten || tally.validated + tally.outside + tally.cutShort === 0) return
  tallyWritten = true
  const file = process.argv[1] ? relative(process.cwd(), process.argv[1]) : 'unknown'
  appendFileSync(HOOK_TALLY_FILE, `${JSON.stringify({ file, pid: process.pid, ...tally })}\n`)
}
process.once('exit', writeTally)

/** The (operation, status) pairs this process has validated, as `operationId status`. */
export function validatedAnswers(): ReadonlySet<string> {
  return new Set(Object.keys(tally.seen))
}

/** A mismatch a test provokes on purpose; `message` is the hook's, once it came. */
export interface ExpectedMismatch {
  readonly pattern: RegExp
  message?: string
}

export interface AnswerChecks {
  /**
   * The next mismatch whose message matches `pattern` is expected (a test of what the server does with an
   * answer the document cannot hold, such as the error handler's safety net): the test asserts on its
   * `message` instead of failing. Any other mismatch still fails the test.
   */
  expectMismatch(pattern: RegExp): ExpectedMismatch
}

/** Holds every answer of `app` against its document; a mismatch fails `t`. Install before app.ready(). */
export function checkEveryAnswer(app: App, t: MismatchSink): AnswerChecks {
  const expected: ExpectedMismatch[] = []
  const sink: MismatchSink = {
    fail(message) {
      const met = expected.findIndex((mismatch) => mismatch.pattern.test(message))
      if (met < 0) {
        tally.mismatches++
        t.fail(`the answer differs from the OpenAPI document: ${message}`)
        return
      }
      const [mismatch] = expected.splice(met, 1)
      if (mismatch) mismatch.message = message
      tally.expectedMismatches++
    },
  }
  let contract: OpenApiContract | undefined
  const contractOf = () => {
    contract ??= new OpenApiContract(app.swagger() as unknown as OpenApiDocument)
    return contract
  }
  const judge = (answer: SeenAnswer, route: string | undefined) => {
    try {
      record(sink, undocumentedRoute(contractOf(), answer, route) ?? contractOf().check(answer))
    } catch (error) {
      // A schema Ajv cannot compile, say: the test fails with it, the answer still goes out.
      tally.mismatches++
      t.fail(`the OpenAPI hook could not check ${answer.method} ${answer.path}: ${(error as Error).message}`)
    }
  }
  // The last onSend hook: every reply.send, from a route, a hook (401, 429, 503) or the error handler.
  app.addHook('onSend', (request, reply, payload, done) => {
    watchAnswer(request, reply, judge)
    done(null, payload)
  })
  app.server.prependListener(
    'clientError',
    (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
      watchSocketAnswer(error, socket as Socket, (answer) => judge(answer, undefined))
    },
  )
  return {
    expectMismatch(pattern) {
      const mismatch: ExpectedMismatch = { pattern }
      expected.push(mismatch)
      return mismatch
    },
  }
}

/** A route that answers though the document does not list its path: a route added and not documented. */
function undocumentedRoute(contract: OpenApiContract, answer: SeenAnswer, route: string | undefined) {
  if (!route || contract.templateOf(answer.path) !== undefined) return undefined
  if (UNDOCUMENTED_ROUTES.some((pattern) => pattern.test(route))) return undefined
  return {
    kind: 'mismatch',
    operation: `${answer.method} ${route}`,
    status: String(answer.status),
    message: `${answer.method} ${route} answered ${answer.status}, but the document has no path ${route}`,
  } satisfies Verdict
}

function record(t: MismatchSink, verdict: Verdict): void {
  if (verdict.kind === 'outside') {
    tally.outside++
    return
  }
  if (verdict.kind === 'validated') {
    for (const answer of verdict.answers) tally.seen[answer] = (tally.seen[answer] ?? 0) + 1
    tally.validated++
    return
  }
  t.fail(verdict.message)
}

const WATCHED = Symbol('openapi-hook.watched')

/**
 * Copies what the reply writes (a streamed body arrives after onSend) and checks the whole answer when it
 * ends, before it leaves: by then its status and headers are final. An answer destroyed half-way (a stream
 * that failed, a client gone) has no whole body to check: it is counted apart.
 */
function watchAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  judge: (answer: SeenAnswer, route: string | undefined) => void,
): void {
  const raw = reply.raw as ServerResponse & { [WATCHED]?: true }
  if (raw[WATCHED]) return
  raw[WATCHED] = true
  const chunks: Buffer[] = []
  const copy = (chunk: unknown, encoding: unknown) => {
    if (typeof chunk === 'string') chunks.push(Buffer.from(chunk, encoding as BufferEncoding | undefined))
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk))
  }
  const write = raw.write
  raw.write = function watchedWrite(this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    copy(chunk, typeof rest[0] === 'string' ? rest[0] : undefined)
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
  } as typeof raw.write
  const end = raw.end
  let ended = false
  raw.end = function watchedEnd(this: ServerResponse, ...args: unknown[]) {
    if (!ended && typeof args[0] !== 'function')
      copy(args[0], typeof args[1] === 'string' ? args[1] : undefined)
    if (!ended) {
      ended = true
      judge(
        {
          method: request.method,
          path: request.url.split('?')[0] ?? '',
          status: reply.statusCode,
          headers: { ...reply.getHeaders() },
          body: request.method === 'HEAD' ? undefined : Buffer.concat(chunks),
        },
        request.routeOptions.url,
      )
    }
    return (end as (...args: unknown[]) => ServerResponse).apply(this, args)
  } as typeof raw.end
  raw.once('close', () => {
    if (!ended) tally.cutShort++
  })
}

/**
 * Node's parser refuses some requests before Fastify sees them and client-error-handler.ts answers on the
 * socket. Only a request past the header limit (431) is a request to an operation, which the document
 * lists on each; bytes that are not HTTP at all (400) or arrive too slowly (408) reach no operation.
 */
function watchSocketAnswer(
  error: NodeJS.ErrnoException & { rawPacket?: Buffer },
  socket: Socket,
  judge: (answer: SeenAnswer) => void,
): void {
  const requestLine = /^([A-Z]+) (\/\S*) HTTP\/1\.[01]\r?\n/.exec(error.rawPacket?.toString('latin1') ?? '')
  if (error.code !== 'HPE_HEADER_OVERFLOW' || !requestLine) {
    tally.outside++
    return
  }
  const write = socket.write
  socket.write = function watchedWrite(this: Socket, data: unknown, ...rest: unknown[]) {
    socket.write = write
    const text = Buffer.isBuffer(data) ? data.toString('latin1') : String(data)
    judge({
      method: requestLine[1] ?? '',
      path: (requestLine[2] ?? '').split('?')[0] ?? '',
      ...parseAnswer(text),
    })
    return (write as (...args: unknown[]) => boolean).call(this, data, ...rest)
  } as typeof socket.write
}

/** An HTTP/1.1 answer written whole (status line, headers, body) as its parts. */
export function parseAnswer(text: string): Pick<SeenAnswer, 'status' | 'headers' | 'body'> {
  const split = text.indexOf('\r\n\r\n')
  const [statusLine = '', ...headerLines] = text.slice(0, split < 0 ? text.length : split).split('\r\n')
  const headers: Record<string, unknown> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: Buffer.from(split < 0 ? '' : text.slice(split + 4), 'latin1'),
  }
}
