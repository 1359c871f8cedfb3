// The service's own errors, built like Fastify core's: a stable code, a message template, a status.
import createError from '@fastify/error'

export const InvalidDateError = createError<[string, string]>(
  'ATT_INVALID_DATE',
  '%s "%s" is not a real calendar date (YYYY-MM-DD)',
  400,
)
export const RangeReversedError = createError<[string, string]>(
  'ATT_RANGE_REVERSED',
  'from %s is after to %s',
  400,
)
export const RangeTooLongError = createError<[string, string, number, number]>(
  'ATT_RANGE_TOO_LONG',
  'range %s..%s spans %d days; at most %d are allowed (MAX_RANGE_DAYS)',
  400,
)
export const TooManyUsersError = createError<[number]>(
  'ATT_TOO_MANY_USERS',
  'more than %d distinct users requested (MAX_USERS); split the query',
  400,
)
export const NoUsersError = createError(
  'ATT_NO_USERS',
  'users must name at least one <sourceId>:<userId>',
  400,
)
export const MalformedUserError = createError<[string, string]>(
  'ATT_MALFORMED_USER',
  'user "%s" is malformed: %s',
  400,
)
export const UnknownSourceError = createError<[string, string]>(
  'ATT_UNKNOWN_SOURCE',
  'source "%s" is not configured (configured: %s)',
  400,
)
export const IncompleteResultError = createError<[string]>(
  'ATT_INCOMPLETE_RESULT',
  'the result is not complete: %s',
  502,
)
export const UnauthorizedError = createError<[string]>('ATT_UNAUTHORIZED', '%s', 401)
export const ForbiddenSourceError = createError<[string, string]>(
  'ATT_FORBIDDEN_SOURCE',
  'API key "%s" may not read source(s) %s',
  403,
)
export const RateLimitedError = createError<[number, string, number]>(
  'ATT_RATE_LIMITED',
  'more than %d requests a minute for this %s; retry in %d s',
  429,
)
export const SourcesAtCapacityError = createError<[string, number]>(
  'ATT_SOURCES_BUSY',
  'source(s) %s already run and queue as many queries as they may; retry in %d s',
  503,
)
export const OverloadedError = createError<[string, number]>(
  'ATT_OVERLOADED',
  'the service is overloaded (%s); retry in %d s',
  503,
)
export const NotAcceptableError = createError<[string, string]>(
  'ATT_NOT_ACCEPTABLE',
  'cannot answer in any type of Accept "%s"; this route serves %s (or pass format=)',
  406,
)
export const ExportNotFoundError = createError<[string]>(
  'ATT_EXPORT_NOT_FOUND',
  'no export "%s" for this API key',
  404,
)
export const ExportNotReadyError = createError<[string, string]>(
  'ATT_EXPORT_NOT_READY',
  'export %s is %s: its file is there once the status is succeeded',
  409,
)
export const ExportHasNoFileError = createError<[string, string]>(
  'ATT_EXPORT_NO_FILE',
  'export %s is %s and has no file',
  409,
)
export const ExportExpiredError = createError<[string]>(
  'ATT_EXPORT_EXPIRED',
  'the file of export %s has expired (EXPORT_TTL_SECONDS); start a new export',
  410,
)
export const TooManyExportsError = createError<[number]>(
  'ATT_TOO_MANY_EXPORTS',
  'this API key already has %d queued or running exports (EXPORT_MAX_ACTIVE_PER_KEY); wait for one to finish',
  429,
)
export const IdempotencyKeyReusedError = createError(
  'ATT_IDEMPOTENCY_KEY_REUSED',
  'this Idempotency-Key was used with a different body; use a new key for a different export',
  422,
)
export const UnknownPersonError = createError<[string]>(
  'ATT_UNKNOWN_PERSON',
  'person "%s" is not in PEOPLE_FILE',
  400,
)
export const MonthAndRangeError = createError<[string]>('ATT_INVALID_RANGE', '%s', 400)
export const CursorExpiredHttpError = createError<[string, number]>(
  'ATT_CURSOR_EXPIRED',
  'cursor %s is older than the change feed keeps (CHANGES_RETENTION_DAYS = %d): pull the range in full, then continue from the new cursor',
  410,
)
export const EventsNotEnabledError = createError<[string, string]>(
  'ATT_EVENTS_NOT_ENABLED',
  'source "%s" does not take %s events (its events.mode)',
  404,
)
export const EventRefusedError = createError<[string]>('ATT_EVENT_REFUSED', 'event refused: %s', 401)
export const EventMalformedError = createError<[string]>('ATT_EVENT_MALFORMED', 'event refused: %s', 400)
export const EventReplayedError = createError(
  'ATT_EVENT_REPLAYED',
  'event refused: this request was seen before',
  409,
)
export const EventsRateLimitedError = createError<[string]>(
  'ATT_EVENTS_RATE_LIMITED',
  'more events a minute for source "%s" than EVENTS_RATE_LIMIT_PER_MINUTE',
  429,
)
export const EventsFailuresLimitedError = createError<[number]>(
  'ATT_EVENTS_RATE_LIMITED',
  'more refused event requests a minute from this address than EVENTS_FAILURES_PER_MINUTE; retry in %d s',
  429,
)
export const EventNotAppliedError = createError<[number]>(
  'ATT_STORE_UNAVAILABLE',
  'event not applied: the shared store is not answering; deliver it again (retry in %d s)',
  503,
)
export const SharedStoreUnavailableError = createError<[number]>(
  'ATT_STORE_UNAVAILABLE',
  'the shared store (Redis) is not answering, and this must be done there or not at all; retry in %d s',
  503,
)
