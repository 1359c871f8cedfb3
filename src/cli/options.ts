// The options several commands share, and their checks. A bad value is a usage error (exit 2) reported by
// commander before anything is sent; the service still validates everything again.
import { type Command, InvalidArgumentError, Option } from 'commander'
import type { QueryFields } from './api-types.js'
import { usageError } from './exit-codes.js'
import { loadUsers } from './users-file.js'

export const DEFAULT_URL = 'http://localhost:3000'

export interface ConnectionOptions {
  url: string
  apiKey?: string
}

export interface QueryOptions {
  from: string
  to: string
  usersFile?: string
  users?: string
  overtime?: boolean
  maxAge?: number
}

function parseUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidArgumentError('expected an http(s) URL such as http://localhost:3000')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('expected an http(s) URL')
  // fetch refuses URLs with credentials in them; the key belongs in --api-key.
  if (url.username || url.password) throw new InvalidArgumentError('put no credentials in the URL')
  return value
}

function parseDate(value: string): string {
  const date = new Date(`${value}T00:00:00Z`)
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    Number.isNaN(date.getTime()) ||
    !date.toISOString().startsWith(value)
  )
    throw new InvalidArgumentError('expected a date YYYY-MM-DD')
  return value
}

export function integerAtLeast(minimum: number) {
  return (value: string): number => {
    const number = Number(value)
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < minimum)
      throw new InvalidArgumentError(`expected an integer ≥ ${minimum}`)
    return number
  }
}

/** --url and --api-key, from flags or the environment. The key's value is never shown, not even in --help. */
export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', 'base URL of the service')
        .env('ATTENDANCE_URL')
        .default(DEFAULT_URL)
        .argParser(parseUrl),
    )
    .addOption(
      new Option('--api-key <key>', 'API key, sent as Authorization: Bearer (omitted when none)').env(
        'ATTENDANCE_API_KEY',
      ),
    )
}

/** The fields of a query: the range, the users and the flags export and plan have in common. */
export function addQueryOptions(command: Command): Command {
  return command
    .requiredOption('--from <date>', 'first work date, inclusive, YYYY-MM-DD', parseDate)
    .requiredOption('--to <date>', 'last work date, inclusive, YYYY-MM-DD', parseDate)
    .option('--users-file <path>', 'users, one source:userId a line (blank lines and # comments skipped)')
    .option('--users <list>', 'users, comma-separated source:userId (with or instead of --users-file)')
    .option('--overtime', 'ask Feishu for overtime segments')
    .option(
      '--max-age <seconds>',
      'oldest cached day accepted, in seconds (0: fetch every day again)',
      integerAtLeast(0),
    )
}

export async function queryFields(options: QueryOptions): Promise<QueryFields> {
  if (options.from > options.to) throw usageError(`--from ${options.from} is after --to ${options.to}`)
  const users = await loadUsers(options)
  return {
    from: options.from,
    to: options.to,
    users,
    ...(options.overtime ? { overtime: true } : {}),
    ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
  }
}
