// The answers and headers that many routes share in the OpenAPI document: the refusals that come before a
// route's own code (load shedding, the body parser, Node's header limit) and the headers answers carry.
// Each says what the server does (plugins/load-shedding.ts, app.ts's bodyLimit, client-error-handler.ts).
import { GET_USERS_LIMIT, MAX_HEADER_BYTES } from './attendance-query.js'
import { ErrorResponse } from './error.js'

/**
 * Marks a response header as always sent with its answer. @fastify/swagger copies a header's schema as it
 * is; plugins/swagger.ts moves this mark to the header object's `required`, where OpenAPI reads it.
 */
export const ALWAYS_SENT = 'x-always-sent'

/** A response header: its schema and description, and whether every such answer carries it. */
export function responseHeader(
  description: string,
  schema: Record<string, unknown> = { type: 'string' },
  always = true,
) {
  return { ...schema, description, ...(always ? { [ALWAYS_SENT]: true } : {}) }
}

/** An error answer in the service's shape, with a description and, optionally, its headers. */
export function errorAnswer(description: string, headers?: Record<string, unknown>, example?: unknown) {
  return {
    ...ErrorResponse,
    description,
    ...(headers ? { headers } : {}),
    ...(example === undefined ? {} : { examples: [example] }),
  }
}

const seconds = { type: 'integer', minimum: 0, examples: [5] }

export const retryAfter = (always = true) => ({
  'Retry-After': responseHeader('Seconds to wait before trying again.', seconds, always),
})

/** @fastify/rate-limit's headers: on every answer of a limited route, and always on its 429. */
export const rateLimitHeaders = (always = true) => ({
  'X-RateLimit-Limit': responseHeader(
    'Requests a minute this API key (or, without a key, this client address) may make.',
    { type: 'integer', minimum: 0, examples: [120] },
    always,
  ),
  'X-RateLimit-Remaining': responseHeader(
    'Requests left in the current minute.',
    { type: 'integer', minimum: 0, examples: [0] },
    always,
  ),
  'X-RateLimit-Reset': responseHeader('Seconds until the minute ends.', seconds, always),
})

/** `Content-Disposition` of a file answer: an attachment with the file name. */
export const contentDisposition = (always = true) => ({
  'Content-Disposition': responseHeader(
    'An attachment and its file name, `attendance_<from>_<to>.<ext>` (`attendance_summary_…` for summaries).',
    { type: 'string', examples: ['attachment; filename="attendance_2024-05-01_2024-05-31.csv"'] },
    always,
  ),
})

const overloadedExample = {
  statusCode: 503,
  code: 'ATT_OVERLOADED',
  error: 'Service Unavailable',
  message: 'the service is overloaded (event-loop delay 1450 ms); retry in 10 s',
}

/**
 * 503 on every route behind load shedding (all but /healthz, /readyz and /metrics), with the route's own
 * reasons for a 503 before it.
 */
export function serviceUnavailable(...ownReasons: string[]) {
  return {
    503: errorAnswer(
      [
        'Not now; retry after `Retry-After` seconds.',
        ...ownReasons,
        '`ATT_OVERLOADED`: this replica sheds load (event-loop delay or heap past `MAX_EVENT_LOOP_DELAY_MS` / `MAX_HEAP_USED_BYTES`); another replica may answer at once.',
      ].join(' '),
      retryAfter(),
      overloadedExample,
    ),
  }
}

/** 413 and 415 of a route that takes a JSON body of at most `limit` (in words). */
export function bodyRefusals(limit: string) {
  return {
    413: errorAnswer(`The body is larger than ${limit} (\`FST_ERR_CTP_BODY_TOO_LARGE\`).`, undefined, {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      error: 'Payload Too Large',
      message: 'Request body is too large',
    }),
    415: errorAnswer(
      'The body is not JSON (`FST_ERR_CTP_INVALID_MEDIA_TYPE`): send it with `Content-Type: application/json`.',
      undefined,
      {
        statusCode: 415,
        code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
        error: 'Unsupported Media Type',
        message: 'Unsupported Media Type: text/plain',
      },
    ),
  }
}

const headersTooLargeExample = {
  statusCode: 431,
  code: 'ATT_BAD_HTTP_REQUEST',
  error: 'Request Header Fields Too Large',
  message: `the request line and headers are larger than ${MAX_HEADER_BYTES} bytes: …`,
}

/** 431 from Node's HTTP parser, on any route: the request is refused before it is read. */
export const headersTooLarge = {
  431: errorAnswer(
    `The request line and headers together are larger than ${MAX_HEADER_BYTES} bytes (\`ATT_BAD_HTTP_REQUEST\`); the connection is closed.`,
    undefined,
    headersTooLargeExample,
  ),
}

/** 431 of a GET that takes `users`: the list is what makes a URL that long. */
export const usersTooLongForGet = {
  431: errorAnswer(
    `The request line and headers together are larger than ${MAX_HEADER_BYTES} bytes (\`ATT_BAD_HTTP_REQUEST\`): the \`users\` list is too long for a URL. ${GET_USERS_LIMIT}`,
    undefined,
    headersTooLargeExample,
  ),
}

/**
 * Any other answer, as an OpenAPI response object: what the error handler (plugins/error-handler.ts) sends
 * for what no route expects, a bug above all. plugins/swagger.ts adds it to every operation of the document
 * only: as a route's `default`, Fastify would serialize every unlisted status with it.
 */
export const UNEXPECTED_ERROR_ANSWER = {
  description:
    'Anything else, in the same shape: a fault of the service answers 500 `ATT_INTERNAL`, its details in the log under the request id.',
  headers: {
    'X-Request-Id': {
      description:
        "The request's id (the caller's `X-Request-Id` when it is a sane token): quote it to the operators.",
      required: true,
      schema: { type: 'string', examples: ['3c1f7a52-8a0e-4c47-9a51-6f7e0d2b9e14'] },
    },
  },
  content: {
    'application/json': {
      schema: ErrorResponse,
      example: {
        statusCode: 500,
        code: 'ATT_INTERNAL',
        error: 'Internal Server Error',
        message: 'the service failed to answer; the request id is in the x-request-id header',
      },
    },
  },
}
