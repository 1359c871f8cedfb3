// Why the command stopped, as its exit status. Scripts branch on these, so each reason keeps its number:
// a payroll job may accept an incomplete file (3) but never a corrupt one (5).
export const EXIT = {
  ok: 0,
  /** The service refused a request or could not be reached. */
  http: 1,
  /** Bad command line or users file: nothing was sent. */
  usage: 2,
  /** The file was written but some source missed something (and --allow-incomplete was not given). */
  incomplete: 3,
  /** The export job failed or was cancelled. */
  jobFailed: 4,
  /** The downloaded file did not match its sha256: it was deleted. */
  checksum: 5,
  /**
   * The service kept refusing for a passing reason (429 rate limit, 503 overloaded) through every attempt:
   * try again later. sysexits.h's EX_TEMPFAIL, which mail and job schedulers read as "retry later".
   */
  busy: 75,
  /** Interrupted (SIGINT): the job was cancelled. 128 + SIGINT, as shells report it. */
  interrupted: 130,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** A failure the command reports in one line and ends with; anything else is a bug and shows its stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message)
    this.name = 'CliError'
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage)
