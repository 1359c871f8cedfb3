// The people of PEOPLE_FILE, looked up both ways: a person's accounts (to expand `person:<id>` in a query)
// and an account's person (to label days and summaries). Reloaded on SIGHUP: a file that no longer checks
// out is refused and the people in use stay.
import { type Account, checkPeopleSources, type Person, readPeopleFile } from '../../config/people-config.js'

export class PeopleDirectory {
  private byId = new Map<string, Person>()
  private byAccount = new Map<string, Person>()

  constructor(
    people: readonly Person[],
    private readonly sourceIds: readonly string[],
    private readonly path?: string,
  ) {
    this.use(people)
  }

  get size(): number {
    return this.byId.size
  }

  get(id: string): Person | undefined {
    return this.byId.get(id)
  }

  /** A person's accounts (expands `person:<id>`), or undefined for an unknown person. */
  accountsOf(id: string): readonly Account[] | undefined {
    return this.byId.get(id)?.accounts
  }

  /** The person an account belongs to, or null. */
  personOf(source: string, userId: string): string | null {
    return this.byAccount.get(accountKey({ source, userId }))?.id ?? null
  }

  /** Every person, in the file's order. */
  list(): Person[] {
    return [...this.byId.values()]
  }

  /** Reads the file again; throws ConfigError (and keeps the people in use) when it does not check out. */
  reload(): number {
    if (!this.path) return this.size
    this.use(readPeopleFile(this.path, this.sourceIds))
    return this.size
  }

  private use(people: readonly Person[]): void {
    checkPeopleSources(people, this.sourceIds)
    const byId = new Map<string, Person>()
    const byAccount = new Map<string, Person>()
    for (const person of people) {
      byId.set(person.id, person)
      for (const account of person.accounts) byAccount.set(accountKey(account), person)
    }
    this.byId = byId
    this.byAccount = byAccount
  }
}

const accountKey = (account: Account) => `${account.source}:${account.userId}`
