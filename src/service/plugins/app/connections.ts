// What a client connection may hold, and how many may be open. Node's HTTP server bounds each phase of a
// request once it is told to (Fastify turns the whole-request timeout off by default): the headers
// (HEADERS_TIMEOUT_MS), the whole request with its body (REQUEST_TIMEOUT_MS), an idle keep-alive
// connection (KEEP_ALIVE_TIMEOUT_MS) and a socket on which nothing moves (CONNECTION_TIMEOUT_MS). Sending
// the answer is not among them: the stall rule (stalled-answers.ts) and QUERY_TIMEOUT_MS bound that.
//
// Past MAX_CONNECTIONS a new connection is closed as soon as it is accepted (Node's server.maxConnections),
// so a crowd of slow clients costs a bounded number of file descriptors; the rest of the process keeps
// the ones it needs. Should descriptors run out all the same (a limit below what the service needs), a
// failed accept is logged and the server keeps listening, as nginx does, instead of an 'error' event with
// no listener ending the process.
import { readFileSync } from 'node:fs'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { ConnectionLimits } from '../../../config/config.js'
import type { SourceConfig } from '../../../config/source-config.js'
import { MAX_HEADER_BYTES } from '../../../schemas/attendance-query.js'

/** How often a burst of refused connections or failed accepts is logged: once, then a count per period. */
const REPORT_EVERY_MS = 10_000
/** Descriptors the process keeps open whatever its traffic: stdio, the event loop, Redis, temp files… */
const BASE_DESCRIPTORS = 64

/**
 * The HTTP server's options: Node checks headers and request timeouts on an interval, 30 s by default. The
 * header limit is set, not left to Node's default: the document promises what a GET's URL may carry.
 */
export function connectionServerOptions(limits: ConnectionLimits) {
  return {
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    http: {
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.floor(limits.headersTimeoutMs / 2)),
    },
  } satisfies Partial<FastifyServerOptions> & { http: object }
}

async function connectionsPlugin(fastify: FastifyInstance) {
  const { maxConnections } = fastify.config.connections
  const server = fastify.server
  server.maxConnections = maxConnections
  const refused = reportEvery(REPORT_EVERY_MS, (count) =>
    fastify.log.warn(
      { refused: count, maxConnections },
      `MAX_CONNECTIONS (${maxConnections}) connections open: ${count} new connection(s) closed at once`,
    ),
  )
  const failedAccepts = reportEvery(REPORT_EVERY_MS, (count, error) =>
    fastify.log.error(
      { failed: count, code: (error as NodeJS.ErrnoException | undefined)?.code },
      `${count} connection(s) could not be accepted (${(error as Error | undefined)?.message}): still listening`,
    ),
  )
  server.on('drop', () => refused.count())
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.syscall === 'accept') failedAccepts.count(error)
    else fastify.log.error({ err: error }, 'HTTP server error')
  })
  fastify.addHook('onClose', async () => {
    refused.stop()
    failedAccepts.stop()
  })
  warnAboveOpenFileLimit(fastify, maxConnections, fastify.config.sources, fastify.demoMode)
}

/** Counts events and reports the first at once, then how many came in each period after it. */
function reportEvery(periodMs: number, report: (count: number, last?: unknown) => void) {
  let pending = 0
  let last: unknown
  let timer: NodeJS.Timeout | undefined
  const flush = () => {
    timer = undefined
    if (pending === 0) return
    report(pending, last)
    pending = 0
    timer = setTimeout(flush, periodMs).unref()
  }
  return {
    count(detail?: unknown) {
      pending++
      last = detail
      if (!timer) flush()
    },
    stop() {
      clearTimeout(timer)
    },
  }
}

/**
 * nginx's start-up check ("worker_connections exceed open file resource limit"): a cap the descriptor
 * limit cannot hold means failed accepts, and failed vendor calls, before the cap is reached.
 */
function warnAboveOpenFileLimit(
  fastify: FastifyInstance,
  maxConnections: number,
  sources: readonly SourceConfig[],
  demoMode: boolean,
) {
  const limit = openFilesLimit()
  if (limit === undefined) return
  // Each source's vendor agent may hold this many sockets; the embedded simulators hold the other ends.
  const vendorSockets = sources.reduce(
    (sum, source) => sum + source.maxConcurrency * source.maxConcurrentQueries + 1,
    0,
  )
  const others = BASE_DESCRIPTORS + vendorSockets * (demoMode ? 2 : 1)
  if (maxConnections + others <= limit) return
  fastify.log.warn(
    { maxConnections, otherDescriptors: others, openFilesLimit: limit },
    `MAX_CONNECTIONS (${maxConnections}) and the about ${others} other files the service keeps open exceed the open-file limit (${limit}, ulimit -n): raise the limit or lower MAX_CONNECTIONS`,
  )
}

/** The soft limit of open files (Linux), or undefined where it cannot be read. */
function openFilesLimit(): number | undefined {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8')
    const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1]
    return soft === undefined ? undefined : Number(soft)
  } catch {
    return undefined
  }
}

export default fp(connectionsPlugin, { name: 'connections' })
