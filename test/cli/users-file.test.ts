import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { CliError, EXIT } from '../../src/cli/exit-codes.js'
import { loadUsers, parseUsersFile, parseUsersList } from '../../src/cli/users-file.js'

const usageErrorMatching = (message: RegExp) => ({ name: 'CliError', exitCode: EXIT.usage, message })

t.test('one source:userId a line; blank lines and comments are skipped', async (t) => {
  const text = [
    '# May payroll',
    'feishu:u1',
    '',
    '   dingtalk:d1   ',
    'feishu:u2  # Alice, joined 2024-05-13',
    '\t',
    'feishu:first.last@corp-1_x',
  ].join('\n')
  t.same(parseUsersFile(text, 'staff.txt'), [
    'feishu:u1',
    'dingtalk:d1',
    'feishu:u2',
    'feishu:first.last@corp-1_x',
  ])
})

t.test('a file saved by a spreadsheet: byte-order mark and CRLF line ends', async (t) => {
  t.same(parseUsersFile('\uFEFFfeishu:u1\r\ndingtalk:d1\r\n', 'staff.txt'), ['feishu:u1', 'dingtalk:d1'])
})

t.test('an empty file or one of comments only has no users', async (t) => {
  t.same(parseUsersFile('', 'staff.txt'), [])
  t.same(parseUsersFile('# nobody yet\n\n', 'staff.txt'), [])
})

t.test('a malformed line is a usage error naming the file and the line number', async (t) => {
  for (const [line, bad] of [
    ['u1', 'no source'],
    ['feishu:', 'no user id'],
    [':u1', 'no source id'],
    ['feishu: u1', 'a space inside'],
    ['feishu:u1 dingtalk:d1', 'two on one line'],
    ['feishu:u1:x', 'a second colon'],
  ] as const) {
    t.throws(
      () => parseUsersFile(`feishu:u0\n\n# comment\n${line}\nfeishu:u9\n`, 'staff.txt'),
      usageErrorMatching(
        new RegExp(`^staff\\.txt:4: expected source:userId, got ${JSON.stringify(line.trim())}`),
      ),
      bad,
    )
  }
})

t.test('--users: comma-separated, spaces around entries allowed, bad entries named', async (t) => {
  t.same(parseUsersList('feishu:u1, dingtalk:d1,,'), ['feishu:u1', 'dingtalk:d1'])
  t.throws(
    () => parseUsersList('feishu:u1,d1'),
    usageErrorMatching(/^--users: expected source:userId, got "d1"/),
  )
})

t.test('loadUsers: file and list together, each user once, in the order given', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'attendance-users-'))
  const file = join(dir, 'staff.txt')
  await writeFile(file, 'feishu:u1\ndingtalk:d1\nfeishu:u1\n')
  t.same(await loadUsers({ usersFile: file, users: 'dingtalk:d1,feishu:u2' }), [
    'feishu:u1',
    'dingtalk:d1',
    'feishu:u2',
  ])
  t.same(await loadUsers({ users: 'feishu:u3' }), ['feishu:u3'])
})

t.test('loadUsers: no users at all, or a file that cannot be read, is a usage error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'attendance-users-'))
  const empty = join(dir, 'empty.txt')
  await writeFile(empty, '# nobody\n')
  await t.rejects(loadUsers({}), usageErrorMatching(/^no users/))
  await t.rejects(loadUsers({ usersFile: empty }), usageErrorMatching(/^no users/))
  const missing = join(dir, 'missing.txt')
  const error = await loadUsers({ usersFile: missing }).catch((error: unknown) => error)
  t.ok(error instanceof CliError)
  t.match(error, usageErrorMatching(/^cannot read .*missing\.txt: ENOENT$/))
})
