// The users of a query, from a file (one `source:userId` a line) and/or a `--users a:b,c:d` list. A bad
// line stops the command before anything is sent, with its line number: a payroll run that silently
// skipped one person would be worse than one that did not start.
import { readFile } from 'node:fs/promises'
import { usageError } from './exit-codes.js'

// Loose on purpose: the service owns the exact id rules and answers 400 naming the entry. This only
// catches what is certainly not a reference (no colon, an empty side, spaces inside).
const USER_REF = /^[^\s:]+:[^\s:]+$/

function checkRef(ref: string, where: string): string {
  if (!USER_REF.test(ref)) throw usageError(`${where}: expected source:userId, got ${JSON.stringify(ref)}`)
  return ref
}

/**
 * The references in a users file. Blank lines and `#` comments (whole-line or after a reference) are
 * skipped; a byte-order mark and CRLF line ends, as spreadsheet exports write them, are accepted.
 */
export function parseUsersFile(text: string, fileName: string): string[] {
  const refs: string[] = []
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((line, index) => {
      // User ids never contain '#' (the service allows [A-Za-z0-9_.@-]), so a '#' always starts a comment.
      const ref = line.replace(/#.*$/, '').trim()
      if (ref !== '') refs.push(checkRef(ref, `${fileName}:${index + 1}`))
    })
  return refs
}

/** The references of `--users a:b,c:d`. */
export function parseUsersList(list: string): string[] {
  return list
    .split(',')
    .map((ref) => ref.trim())
    .filter((ref) => ref !== '')
    .map((ref) => checkRef(ref, '--users'))
}

/** Both sources together, each reference once, in the order given; at least one is required. */
export async function loadUsers(options: { usersFile?: string; users?: string }): Promise<string[]> {
  const refs: string[] = []
  if (options.usersFile !== undefined) {
    let text: string
    try {
      text = await readFile(options.usersFile, 'utf8')
    } catch (error) {
      throw usageError(`cannot read ${options.usersFile}: ${(error as NodeJS.ErrnoException).code ?? error}`)
    }
    refs.push(...parseUsersFile(text, options.usersFile))
  }
  if (options.users !== undefined) refs.push(...parseUsersList(options.users))
  if (refs.length === 0) throw usageError('no users: give --users-file <path> and/or --users a:b,c:d')
  return [...new Set(refs)]
}
