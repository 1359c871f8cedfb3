// What an incomplete export lacks, in words for stderr: each source that is not ok with its error code,
// the blocks of users and dates it could not fetch, and the users a vendor refused. Enough to decide
// whether to rerun (a passing VENDOR_UNAVAILABLE) or to call someone (VENDOR_AUTH_FAILED).
import type { SourceReport } from '../schemas/source-report.js'

/** Users named per block; the rest are counted, so a failed source of 5,000 people stays readable. */
const USERS_SHOWN = 5

function someUsers(userIds: readonly string[]): string {
  const shown = userIds.slice(0, USERS_SHOWN).join(', ')
  const more = userIds.length - USERS_SHOWN
  const count = `${userIds.length} user${userIds.length === 1 ? '' : 's'}`
  return more > 0 ? `${shown} and ${more} more (${count})` : `${shown} (${count})`
}

type Reported = Pick<SourceReport, 'source' | 'status' | 'error' | 'missing'> &
  Partial<Pick<SourceReport, 'invalidUserIds' | 'unauthorizedUserIds'>>

export function describeIncomplete(sources: readonly Reported[]): string[] {
  const lines: string[] = []
  for (const report of sources) {
    if (report.status !== 'ok') {
      const error = report.error ? ` ${report.error.code}: ${report.error.message}` : ''
      lines.push(`  ${report.source}: ${report.status}${error}`)
      for (const part of report.missing)
        lines.push(`    missing ${part.from}..${part.to}: ${someUsers(part.userIds)}`)
    }
    // A source can be ok and still leave the result incomplete: the vendor did not know, or would not
    // show, some of the users asked for.
    if (report.invalidUserIds?.length)
      lines.push(`  ${report.source}: unknown to the vendor: ${someUsers(report.invalidUserIds)}`)
    if (report.unauthorizedUserIds?.length)
      lines.push(`  ${report.source}: not readable by the app: ${someUsers(report.unauthorizedUserIds)}`)
  }
  return lines
}
