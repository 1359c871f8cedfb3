// `attendance sources`: the sources the key may read (GET /sources), with the limits and this month's
// vendor calls that decide how large an export can be.
import type { Command } from 'commander'
import { ApiClient } from './api-client.js'
import type { SourcesAnswer } from './api-types.js'
import { addConnectionOptions, type ConnectionOptions } from './options.js'
import { formatTable } from './table.js'

interface SourcesOptions extends ConnectionOptions {
  json?: boolean
}

export function formatSources(answer: SourcesAnswer): string {
  if (answer.sources.length === 0) return 'no sources this key may read'
  return formatTable(
    [
      { header: 'SOURCE' },
      { header: 'VENDOR' },
      { header: 'TIMEZONE' },
      { header: 'CALLS/S', right: true },
      { header: 'USERS/CALL', right: true },
      { header: 'DAYS/CALL', right: true },
      { header: 'RETENTION', right: true },
      { header: 'CALLS THIS MONTH', right: true },
      { header: 'BUDGET LEFT', right: true },
    ],
    answer.sources.map((source) => [
      source.id,
      source.vendor,
      source.timezone,
      String(source.rateLimitPerSecond),
      String(source.maxUsersPerCall),
      String(source.maxDaysPerCall),
      source.retentionDays === 0 ? '-' : `${source.retentionDays}d`,
      String(source.usage.dataCalls),
      source.budget === null ? '-' : `${source.budget.remaining}/${source.budget.limit}`,
    ]),
  )
}

export function registerSourcesCommand(program: Command): void {
  const command = program
    .command('sources')
    .summary('list the configured sources and their limits')
    .description('List the sources the API key may read, their vendor limits and this month’s calls.')
    .option('--json', 'print the service answer as JSON')
    .addHelpText('after', '\nExit status: 0 printed, 1 the service refused or could not be reached, 2 usage.')
  addConnectionOptions(command).action(async (options: SourcesOptions) => {
    const answer = await new ApiClient(options).sources()
    process.stdout.write(`${options.json ? JSON.stringify(answer, null, 2) : formatSources(answer)}\n`)
  })
}
