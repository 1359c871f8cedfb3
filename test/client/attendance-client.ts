// The client a JSON caller of this service builds from its OpenAPI document: openapi-fetch over the types
// openapi-typescript generates (openapi.ts, `npm run openapi`). It is made here once, so that calls carry
// no type parameter and no cast.
//
// Why `createClient<paths, JsonMedia>` and not `createClient<paths>()`: openapi-fetch 0.17 types a 2xx
// answer's `data` as the union of every media type the status lists (openapi-typescript-helpers'
// SuccessResponse<…, Media> with Media = any `type/subtype`; the order of the content map plays no part).
// The results, summaries and export-file answers are documented in JSON, NDJSON, CSV and XLSX, so a
// default client types them `AttendanceResponse | string`. Yet openapi-fetch reads a body as JSON unless
// the call says `parseAs` (and `parseAs: 'text'` types `data` as `string` whatever the media types), and
// the service answers JSON unless the call asks for another `format` (or `Accept`): a call without
// `parseAs` can only ever see JSON. Restricting Media to JSON says exactly that, in the documented way.
import createClient, { type Client } from 'openapi-fetch'
import type { paths } from './openapi.js'

/** The media types a default (`parseAs: 'json'`) call can see: JSON, as openapi-typescript-helpers' `JSONLike`. */
export type JsonMedia = `${string}/json`

export type AttendanceClient = Client<paths, JsonMedia>

/** A client of the service at `baseUrl` (`http://host:port`), sending `apiKey` as a bearer token. */
export function createAttendanceClient(options: { baseUrl: string; apiKey: string }): AttendanceClient {
  return createClient<paths, JsonMedia>({
    baseUrl: options.baseUrl,
    headers: { authorization: `Bearer ${options.apiKey}` },
  })
}
