#!/usr/bin/env node
// The `attendance` command: exports, plan previews and the source list, over the service's HTTP API.
// Each command lives in its own module; this file wires them into one program and turns whatever stopped
// the command into its exit status (exit-codes.ts).
import { Command, CommanderError } from 'commander'
import { CliError, EXIT } from './exit-codes.js'
import { registerExportCommand } from './export-command.js'
import { registerPlanCommand } from './plan-command.js'
import { registerSourcesCommand } from './sources-command.js'

const program = new Command('attendance')
  .description('Attendance from Feishu and DingTalk through the attendance aggregator service.')
  .addHelpText(
    'after',
    `
Every command takes --url (env ATTENDANCE_URL, default http://localhost:3000) and --api-key
(env ATTENDANCE_API_KEY). Run attendance <command> --help for its options.`,
  )
  // Set before the commands are added, so that they inherit it: commander then throws instead of
  // exiting, and the exit status is decided below, in one place.
  .exitOverride()
  .showHelpAfterError('(add --help for usage)')

registerExportCommand(program)
registerPlanCommand(program)
registerSourcesCommand(program)

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander has already printed the help or the error.
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version'
      ? EXIT.ok
      : EXIT.usage
  }
  if (error instanceof CliError) {
    process.stderr.write(`attendance: ${error.message}\n`)
    return error.exitCode
  }
  process.stderr.write(`attendance: unexpected error: ${(error as Error)?.stack ?? error}\n`)
  return EXIT.http
}

try {
  await program.parseAsync()
} catch (error) {
  process.exitCode = exitCodeOf(error)
}
