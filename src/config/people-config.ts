// PEOPLE_FILE: the caller's people and their accounts at the sources, e.g. an employee with a DingTalk
// account at the subsidiary and a Feishu one at head office. Validated like the sources file: the error
// names the entry and the rule. An account belongs to one person only, and names a configured source.
import { readFileSync } from 'node:fs'
import { Type } from 'typebox'
import { USER_ID_PATTERN } from '../schemas/attendance-query.js'
import { ConfigError } from './config-error.js'
import { validated } from './validated.js'

export const PERSON_ID_PATTERN = '^[A-Za-z0-9_.@-]{1,64}$'

const PeopleFile = Type.Object(
  {
    people: Type.Array(
      Type.Object(
        {
          id: Type.String({ pattern: PERSON_ID_PATTERN }),
          name: Type.Optional(Type.String({ maxLength: 200 })),
          accounts: Type.Array(Type.String({ minLength: 3, maxLength: 200 }), { minItems: 1, maxItems: 100 }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 1_000_000 },
    ),
  },
  { additionalProperties: false },
)

export interface Account {
  source: string
  userId: string
}

export interface Person {
  /** The caller's own key, e.g. an employee number. */
  id: string
  name: string | null
  accounts: Account[]
}

const USER_ID = new RegExp(USER_ID_PATTERN)

/** Reads and checks the file; `sourceIds` (when known) are the configured sources the accounts must name. */
export function readPeopleFile(path: string, sourceIds?: readonly string[]): Person[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'not valid JSON'
    throw new ConfigError(`PEOPLE_FILE ${path} cannot be read: ${reason}`)
  }
  const file = validated(PeopleFile, parsed, 'PEOPLE_FILE') as {
    people: { id: string; name?: string; accounts: string[] }[]
  }
  const ids = new Set<string>()
  const owners = new Map<string, string>()
  const people = file.people.map((entry, index): Person => {
    const where = `PEOPLE_FILE people[${index}]`
    if (ids.has(entry.id)) throw new ConfigError(`${where}.id "${entry.id}" is used twice`)
    ids.add(entry.id)
    const accounts = entry.accounts.map((text, accountIndex): Account => {
      const at = `${where}.accounts[${accountIndex}]`
      const colon = text.indexOf(':')
      const source = colon > 0 ? text.slice(0, colon) : ''
      const userId = colon > 0 ? text.slice(colon + 1) : ''
      if (!source || !USER_ID.test(userId)) throw new ConfigError(`${at} must be "<sourceId>:<userId>"`)
      const owner = owners.get(text)
      if (owner !== undefined) {
        throw new ConfigError(
          `${at} "${text}" already belongs to person "${owner}": an account has one person`,
        )
      }
      owners.set(text, entry.id)
      return { source, userId }
    })
    return { id: entry.id, name: entry.name ?? null, accounts }
  })
  if (sourceIds) checkPeopleSources(people, sourceIds)
  return people
}

/** Every account names a configured source (checked again once demo mode's sources exist). */
export function checkPeopleSources(people: readonly Person[], sourceIds: readonly string[]): void {
  const known = new Set(sourceIds)
  for (const [index, person] of people.entries()) {
    for (const [accountIndex, account] of person.accounts.entries()) {
      if (!known.has(account.source)) {
        throw new ConfigError(
          `PEOPLE_FILE people[${index}].accounts[${accountIndex}] names source "${account.source}", which is not configured (configured: ${[...known].join(', ')})`,
        )
      }
    }
  }
}
