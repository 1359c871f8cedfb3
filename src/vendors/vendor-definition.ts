// What the service must know of a vendor, in one object: its limits, how to ask for and read a token, how
// to read its codes, and how to fetch and normalize one block. The generic wiring (create-adapter.ts)
// supplies the HTTP client, the shared rate limit, the shared token and the retries; it knows no vendor's
// wire format. A new vendor is a folder with one such definition and a line in registry.ts.
import type { FastifyBaseLogger } from 'fastify'
import type { SourceConfig } from '../config/source-config.js'
import type { Block, BlockResult, FetchOptions, VendorLimits } from '../domain/attendance/source.js'
import type { FetchedToken } from './common/token-provider.js'
import type { RequestWithoutAttempt } from './common/vendor-caller.js'
import type { VendorResponse } from './common/vendor-http.js'

/** One data call with the app's token: `build` puts the token where the vendor wants it. */
export type AuthorizedCall = <T>(
  build: (token: string) => RequestWithoutAttempt,
  read: (response: VendorResponse) => T,
) => Promise<T>

export interface BlockContext<C extends SourceConfig> {
  config: C
  call: AuthorizedCall
  /** The source's own logger (the request's logger is in the options). */
  log: FastifyBaseLogger
}

export interface VendorDefinition<C extends SourceConfig = SourceConfig> {
  readonly vendor: C['vendor']
  readonly limits: VendorLimits
  /** The app that vendor limits and tokens belong to (never the secret). */
  appIdentity(config: C): string
  /** The vendor's own code in a body (`code`, `errcode`), for the one log line per call. */
  vendorCodeOf(body: unknown): unknown
  /** The token request of the app. */
  tokenRequest(config: C): RequestWithoutAttempt
  /** Reads the token answer; throws the classified VendorError when it is a refusal. */
  readToken(response: VendorResponse): FetchedToken
  /** Fetches every day of one block, following the vendor's pagination. */
  fetchBlock(block: Block, options: FetchOptions, context: BlockContext<C>): Promise<BlockResult>
}
