import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino'
import type { SecretRedactor } from './secret-redactor.js'

// Paths pino blanks before serializing. Secrets can still hide in free text (a URL, an error message),
// which is what the SecretRedactor pass in formatters.log catches.
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.appSecret',
  '*.app_secret',
  '*.appsecret',
  '*.tenant_access_token',
  '*.access_token',
  '*.accessToken',
  '*.token',
  'appSecret',
  'token',
]

export interface LoggerSetup {
  level: string
  redactor: SecretRedactor
  /** Where lines go; tests pass a stream to read them back. Defaults to stdout. */
  destination?: DestinationStream
}

export function createLogger({ level, redactor, destination }: LoggerSetup): Logger {
  const options: LoggerOptions = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    formatters: {
      log: (object) => redactor.scrub(object),
    },
    hooks: {
      // The message string is not covered by formatters.log.
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? redactor.scrubText(arg) : arg))
        method.apply(this, scrubbed as Parameters<typeof method>)
      },
    },
  }
  return destination ? pino(options, destination) : pino(options)
}
