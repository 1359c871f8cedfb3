// Every code an error answer of the service can carry, with its HTTP status and what it means: the one list
// the OpenAPI document (an `enum` on `code` per status, and the table in its description), the README's
// table and the error handler are held to. Fastify core keeps its codes the same way (lib/errors.js, with
// docs/Reference/Errors.md checked against it by a test); test/errors/error-catalogue.test.ts checks that
// every code thrown anywhere in src/ is here, in the document and in the README.
//
// A code may come with more than one status (ATT_BAD_HTTP_REQUEST: 400, 408, 431): one row each. A row
// with `operations: false` is answered only where no operation of the document is reached (a path the
// service does not serve, the Swagger UI files under /docs), so the operations' enums leave it out.

export interface CataloguedError {
  code: string
  status: number
  meaning: string
  operations: boolean
}

const row = (code: string, status: number, meaning: string, operations = true): CataloguedError => ({
  code,
  status,
  meaning,
  operations,
})

export const ERROR_CATALOGUE: readonly CataloguedError[] = [
  row(
    'FST_ERR_VALIDATION',
    400,
    'A query parameter, path parameter, header or body field does not match the schema; the message names it.',
  ),
  row('FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'The body is empty although `Content-Type` is JSON.'),
  row('FST_ERR_CTP_INVALID_JSON_BODY', 400, 'The body is not valid JSON.'),
  row('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'The body is not as long as `Content-Length` says.'),
  row('FST_ERR_BAD_URL', 400, 'The path is not valid percent-encoding (such as `%zz`).'),
  row('ATT_INVALID_DATE', 400, '`from` or `to` is not a real calendar date.'),
  row('ATT_RANGE_REVERSED', 400, '`from` is after `to`.'),
  row('ATT_RANGE_TOO_LONG', 400, 'The range spans more than `MAX_RANGE_DAYS` days.'),
  row('ATT_INVALID_RANGE', 400, 'Summaries: `month` together with `from`/`to`, or neither.'),
  row('ATT_NO_USERS', 400, '`users` names no user.'),
  row('ATT_TOO_MANY_USERS', 400, 'More than `MAX_USERS` distinct users; split the query.'),
  row(
    'ATT_MALFORMED_USER',
    400,
    'A user is not `<sourceId>:<userId>`, or its id has characters no vendor issues.',
  ),
  row(
    'ATT_UNKNOWN_SOURCE',
    400,
    'A source id that is not configured; the message lists the configured ones.',
  ),
  row('ATT_UNKNOWN_PERSON', 400, '`person:<id>` names no person of `PEOPLE_FILE`.'),
  row('ATT_EVENT_MALFORMED', 400, "A vendor event body that is not an event of the vendor's format."),
  row(
    'ATT_BAD_HTTP_REQUEST',
    400,
    'The request is not valid HTTP (raw bytes in the request line, a NUL in a header, two `Content-Length`); the connection is closed.',
  ),
  row('ATT_BAD_REQUEST', 400, 'A refusal that has no code of its own; the message says what is wrong.'),
  row(
    'ATT_UNAUTHORIZED',
    401,
    'No valid API key (only when API keys are configured); `WWW-Authenticate: Bearer` says how to send one.',
  ),
  row(
    'ATT_EVENT_REFUSED',
    401,
    'A vendor event whose token, signature, timestamp or encryption does not check out.',
  ),
  row(
    'ATT_EVENT_CRYPTO',
    401,
    "A vendor event body that fails the vendor's crypto. The webhooks answer such a body with `ATT_EVENT_REFUSED`: this code is listed because the error carries it, and is not expected in an answer.",
  ),
  row('ATT_FORBIDDEN_SOURCE', 403, 'The API key may not read one of the sources the request names.'),
  row('FST_STATIC_FORBIDDEN_PATH', 403, 'A path under `/docs/static/` with a NUL byte in it.', false),
  row('ATT_EXPORT_NOT_FOUND', 404, 'No export job with this id for this API key.'),
  row('ATT_EVENTS_NOT_ENABLED', 404, 'The source takes no events of this kind (its `events.mode`).'),
  row('ATT_NOT_FOUND', 404, 'The service serves no such path.', false),
  row(
    'ATT_METHOD_NOT_ALLOWED',
    405,
    'The path is served, but not with this method; `Allow` lists the methods it takes.',
  ),
  row(
    'ATT_NOT_ACCEPTABLE',
    406,
    'The `Accept` header names no type the route serves, and no `format` was given.',
  ),
  row(
    'ATT_BAD_HTTP_REQUEST',
    408,
    'The request headers or body took longer than `HEADERS_TIMEOUT_MS` / `REQUEST_TIMEOUT_MS` to arrive; the connection is closed.',
  ),
  row(
    'ATT_EXPORT_NOT_READY',
    409,
    'The export job has not finished: its file is there once `status` is `succeeded`.',
  ),
  row('ATT_EXPORT_NO_FILE', 409, 'The export job failed or was cancelled and has no file.'),
  row('ATT_EVENT_REPLAYED', 409, 'A signed vendor event request that was received before.'),
  row('ATT_EXPORT_EXPIRED', 410, "The export's file has expired (`EXPORT_TTL_SECONDS`); start a new export."),
  row(
    'ATT_CURSOR_EXPIRED',
    410,
    'The change feed cursor is older than the feed keeps (`CHANGES_RETENTION_DAYS`); pull the range in full.',
  ),
  row(
    'ATT_BAD_REQUEST',
    412,
    'A Swagger UI file under `/docs/static/` whose precondition header fails.',
    false,
  ),
  row('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'The body is larger than 1 MiB.'),
  row('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'A body that is not `application/json`.'),
  row(
    'ATT_BAD_REQUEST',
    416,
    'A Swagger UI file under `/docs/static/` asked for with a `Range` it does not have.',
    false,
  ),
  row(
    'ATT_IDEMPOTENCY_KEY_REUSED',
    422,
    'This `Idempotency-Key` was used with a different body; use a new key for a different export.',
  ),
  row(
    'ATT_RATE_LIMITED',
    429,
    'More requests a minute than the API key (or client address) may make; `Retry-After` gives the seconds to wait.',
  ),
  row(
    'ATT_TOO_MANY_EXPORTS',
    429,
    'The API key already has `EXPORT_MAX_ACTIVE_PER_KEY` queued or running exports.',
  ),
  row(
    'ATT_EVENTS_RATE_LIMITED',
    429,
    'More events a minute for the source than `EVENTS_RATE_LIMIT_PER_MINUTE`, or more refused event requests from the address than `EVENTS_FAILURES_PER_MINUTE`.',
  ),
  row(
    'ATT_BAD_HTTP_REQUEST',
    431,
    'The request headers (the URL included) are larger than the server takes; the connection is closed.',
  ),
  row(
    'ATT_INTERNAL',
    500,
    'The service failed; the details are in its log under the `x-request-id` of the answer.',
  ),
  row(
    'ATT_INCOMPLETE_RESULT',
    502,
    'The result is not complete, with `strict=true` or for a CSV or XLSX answer; the message names the sources.',
  ),
  row(
    'ATT_OVERLOADED',
    503,
    'This replica is under pressure (event-loop delay or heap); retry after `Retry-After` seconds, or on another replica.',
  ),
  row(
    'ATT_SOURCES_BUSY',
    503,
    'A source already runs and queues as many queries as it may; retry after `Retry-After` seconds.',
  ),
  row(
    'ATT_STORE_UNAVAILABLE',
    503,
    'The shared store (Redis) does not answer, and this must be done there; retry after `Retry-After` seconds.',
  ),
]

/** True when the service may answer `code` with `status`: the pair is a row of the catalogue. */
export function isCatalogued(code: string, status: number): boolean {
  return ERROR_CATALOGUE.some((entry) => entry.code === code && entry.status === status)
}

/** The codes an operation of the document may answer with `status`, in catalogue order. */
export function operationCodes(status: number): string[] {
  return ERROR_CATALOGUE.filter((entry) => entry.status === status && entry.operations).map(
    (entry) => entry.code,
  )
}
