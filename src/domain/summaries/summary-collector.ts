// Collects the summaries of a query as its days go by: one small record per (source, user), never the days.
// When a source is done (its report final), its users' summaries come out in userId order, with
// `complete` from the report; a person's totals are summed over their accounts as they come out.
import type { DayResult } from '../../schemas/day-result.js'
import type { SourceReport } from '../../schemas/source-report.js'
import type { PersonSummary, SummaryTotals, UserSummary } from '../../schemas/user-summary.js'
import { addDay, addTotals, emptyTotals } from './summarize.js'

export interface PeopleLookup {
  personOf(source: string, userId: string): string | null
  get(id: string): { name: string | null } | undefined
}

interface Running {
  employeeName: string | null
  totals: SummaryTotals
}

export class SummaryCollector {
  private readonly running = new Map<string, Map<string, Running>>()
  private readonly people = new Map<string, PersonSummary>()

  /**
   * @param users the users asked for, per source: each gets a summary, with or without days
   * @param lookup the people of PEOPLE_FILE (labels and groupBy=person)
   */
  constructor(
    private readonly users: ReadonlyMap<string, readonly string[]>,
    private readonly lookup?: PeopleLookup,
  ) {}

  add(days: readonly DayResult[]): void {
    for (const day of days) {
      let bySource = this.running.get(day.source)
      if (!bySource) {
        bySource = new Map()
        this.running.set(day.source, bySource)
      }
      let user = bySource.get(day.userId)
      if (!user) {
        user = { employeeName: null, totals: emptyTotals() }
        bySource.set(day.userId, user)
      }
      // Days come in workDate order: the last name seen is the latest.
      if (day.employeeName !== null) user.employeeName = day.employeeName
      addDay(user.totals, day)
    }
  }

  /** The summaries of a finished source, by userId; its running records are dropped. */
  finishSource(report: SourceReport): UserSummary[] {
    const bySource = this.running.get(report.source)
    this.running.delete(report.source)
    const incomplete = new Set([
      ...report.missing.flatMap((part) => part.userIds),
      ...report.invalidUserIds,
      ...report.unauthorizedUserIds,
    ])
    const userIds = [...(this.users.get(report.source) ?? [])].sort()
    return userIds.map((userId) => {
      const user = bySource?.get(userId)
      const person = this.lookup?.personOf(report.source, userId) ?? null
      const summary: UserSummary = {
        source: report.source,
        vendor: report.vendor,
        userId,
        employeeName: user?.employeeName ?? null,
        person,
        ...(user?.totals ?? emptyTotals()),
        complete: !incomplete.has(userId),
      }
      if (person !== null) this.addToPerson(person, summary)
      return summary
    })
  }

  /** One row per person among the summaries so far, in person id order. */
  personSummaries(): PersonSummary[] {
    return [...this.people.values()].sort((a, b) => (a.person < b.person ? -1 : a.person > b.person ? 1 : 0))
  }

  private addToPerson(person: string, summary: UserSummary): void {
    let row = this.people.get(person)
    if (!row) {
      row = {
        person,
        name: this.lookup?.get(person)?.name ?? null,
        accounts: [],
        ...emptyTotals(),
        complete: true,
      }
      this.people.set(person, row)
    }
    row.accounts.push(`${summary.source}:${summary.userId}`)
    addTotals(row, summary)
    row.complete &&= summary.complete
  }
}
