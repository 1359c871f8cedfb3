// PEOPLE_FILE: read and checked at start-up like the sources file (each error names the entry and the
// rule), checked against the configured sources (by loadConfig, or by the app in demo mode), and reread on
// SIGHUP by PeopleDirectory, which keeps the people in use when the new file does not check out.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { ConfigError, loadConfig } from '../../src/config/config.js'
import { readPeopleFile } from '../../src/config/people-config.js'
import { PeopleDirectory } from '../../src/domain/people/people-directory.js'
import { buildApp } from '../../src/service/app.js'
import { startDemoSources } from '../../src/service/demo-sources.js'

const SOURCE_IDS = ['feishu', 'dingtalk']

const GOOD = {
  people: [
    { id: 'E1001', name: '王敏', accounts: ['feishu:ou_7d8a', 'dingtalk:manager6699'] },
    { id: 'E1002', accounts: ['dingtalk:d2'] },
  ],
}

/** A file of its own holding `content` (a string verbatim, anything else as JSON). */
function peopleFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'people-')), 'people.json')
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

function sourcesFile(ids: string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sources-')), 'sources.json')
  const sources = ids.map((id, index) =>
    index % 2 === 0
      ? { id, vendor: 'feishu', appId: `cli_${index}`, appSecret: 'a-secret-value' }
      : { id, vendor: 'dingtalk', appKey: `key${index}`, appSecret: 'a-secret-value' },
  )
  writeFileSync(path, JSON.stringify({ sources }))
  return path
}

function refusal(t: Test, fn: () => unknown, message: string | RegExp, what?: string): void {
  t.throws(fn, { name: 'ConfigError', message }, what ?? String(message))
}

t.test('a good file: each person with their accounts, in the file’s order; no name is null', async (t) => {
  t.same(readPeopleFile(peopleFile(GOOD), SOURCE_IDS), [
    {
      id: 'E1001',
      name: '王敏',
      accounts: [
        { source: 'feishu', userId: 'ou_7d8a' },
        { source: 'dingtalk', userId: 'manager6699' },
      ],
    },
    { id: 'E1002', name: null, accounts: [{ source: 'dingtalk', userId: 'd2' }] },
  ])
  t.same(readPeopleFile(peopleFile({ people: [] })), [], 'no people is a valid file')
})

t.test('a file that cannot be read, or is not JSON', async (t) => {
  const missing = join(mkdtempSync(join(tmpdir(), 'people-')), 'absent.json')
  refusal(t, () => readPeopleFile(missing), `PEOPLE_FILE ${missing} cannot be read: ENOENT`)
  const directory = mkdtempSync(join(tmpdir(), 'people-'))
  refusal(t, () => readPeopleFile(directory), `PEOPLE_FILE ${directory} cannot be read: EISDIR`)
  const bad = peopleFile('{"people": [')
  refusal(t, () => readPeopleFile(bad), `PEOPLE_FILE ${bad} cannot be read: not valid JSON`)
  const empty = peopleFile('')
  refusal(t, () => readPeopleFile(empty), `PEOPLE_FILE ${empty} cannot be read: not valid JSON`)
})

t.test('the wrong shape: the error names the field and the rule, never the value', async (t) => {
  const cases: [string, unknown, string][] = [
    ['not an object', [], 'PEOPLE_FILE: must be object'],
    ['no people', {}, 'PEOPLE_FILE: must have required properties people'],
    ['people not a list', { people: {} }, 'PEOPLE_FILE.people: must be array'],
    [
      'a field of its own',
      { people: [{ id: 'E1', accounts: ['feishu:u1'], email: 'secret@example.com' }] },
      'PEOPLE_FILE.people.0: must not have additional properties (unknown field email)',
    ],
    [
      'no id',
      { people: [{ accounts: ['feishu:u1'] }] },
      'PEOPLE_FILE.people.0: must have required properties id',
    ],
    [
      'an id with a space',
      { people: [GOOD.people[0], { id: 'E 2 hunter2', accounts: ['feishu:u2'] }] },
      'PEOPLE_FILE.people.1.id: must match pattern "^[A-Za-z0-9_.@-]{1,64}$"',
    ],
    [
      'no accounts',
      { people: [{ id: 'E1' }] },
      'PEOPLE_FILE.people.0: must have required properties accounts',
    ],
    [
      'an empty account list',
      { people: [{ id: 'E1', accounts: [] }] },
      'PEOPLE_FILE.people.0.accounts: must not have fewer than 1 items',
    ],
    [
      'a name that is not text',
      { people: [{ id: 'E1', name: 42, accounts: ['feishu:u1'] }] },
      'PEOPLE_FILE.people.0.name: must be string',
    ],
  ]
  for (const [what, content, message] of cases) {
    const error = t.throws(() => readPeopleFile(peopleFile(content)), { name: 'ConfigError', message }, what)
    t.notMatch((error as Error).message, /hunter2|secret@example/, `${what}: the value is not echoed`)
  }
})

t.test('a person id used twice', async (t) => {
  refusal(
    t,
    () =>
      readPeopleFile(
        peopleFile({
          people: [
            { id: 'E1', accounts: ['feishu:u1'] },
            { id: 'E2', accounts: ['feishu:u2'] },
            { id: 'E1', accounts: ['feishu:u3'] },
          ],
        }),
      ),
    'PEOPLE_FILE people[2].id "E1" is used twice',
  )
})

t.test('an account in two people', async (t) => {
  refusal(
    t,
    () =>
      readPeopleFile(
        peopleFile({
          people: [
            { id: 'E1', accounts: ['feishu:u1', 'dingtalk:d1'] },
            { id: 'E2', accounts: ['feishu:u2', 'dingtalk:d1'] },
          ],
        }),
      ),
    'PEOPLE_FILE people[1].accounts[1] "dingtalk:d1" already belongs to person "E1": an account has one person',
  )
})

t.test('a malformed account: <sourceId>:<userId> with a valid user id', async (t) => {
  for (const account of ['feishu-u1', ':u1', 'feishu:', 'feishu:a b', `feishu:${'x'.repeat(65)}`]) {
    refusal(
      t,
      () => readPeopleFile(peopleFile({ people: [{ id: 'E1', accounts: ['feishu:ok', account] }] })),
      'PEOPLE_FILE people[0].accounts[1] must be "<sourceId>:<userId>"',
      JSON.stringify(account),
    )
  }
  refusal(
    t,
    () => readPeopleFile(peopleFile({ people: [{ id: 'E1', accounts: ['a:'] }] })),
    'PEOPLE_FILE.people.0.accounts.0: must not have fewer than 3 characters',
  )
})

t.test('an account at a source that is not configured names it and the configured ones', async (t) => {
  const path = peopleFile({
    people: [
      { id: 'E1', accounts: ['feishu:u1'] },
      { id: 'E2', accounts: ['dingtalk:d1', 'hq:ou_1'] },
    ],
  })
  refusal(
    t,
    () => readPeopleFile(path, SOURCE_IDS),
    'PEOPLE_FILE people[1].accounts[1] names source "hq", which is not configured (configured: feishu, dingtalk)',
  )
  t.equal(
    readPeopleFile(path).length,
    2,
    'without the sources (demo mode, before they exist) it is not checked',
  )
  refusal(
    t,
    () => readPeopleFile(peopleFile({ people: [{ id: 'E1', accounts: ['person:E2'] }] }), SOURCE_IDS),
    /names source "person", which is not configured/,
    'a person is not an account',
  )
})

t.test('loadConfig: PEOPLE_FILE with SOURCES_FILE', async (t) => {
  const sources = sourcesFile(['hq', 'subsidiary'])
  const people = peopleFile({
    people: [{ id: 'E1001', name: 'Transfer', accounts: ['hq:ou_7d8a', 'subsidiary:manager6699'] }],
  })
  const config = loadConfig({ SOURCES_FILE: sources, PEOPLE_FILE: ` ${people} `, AUTH_DISABLED: 'true' })
  t.equal(config.peopleFile, people, 'the path, trimmed')
  t.same(config.people, [
    {
      id: 'E1001',
      name: 'Transfer',
      accounts: [
        { source: 'hq', userId: 'ou_7d8a' },
        { source: 'subsidiary', userId: 'manager6699' },
      ],
    },
  ])

  refusal(
    t,
    () =>
      loadConfig({
        SOURCES_FILE: sources,
        PEOPLE_FILE: peopleFile({ people: [{ id: 'E1', accounts: ['hq:a', 'feishu:b'] }] }),
        AUTH_DISABLED: 'true',
      }),
    'PEOPLE_FILE people[0].accounts[1] names source "feishu", which is not configured (configured: hq, subsidiary)',
  )
  const unreadable = join(mkdtempSync(join(tmpdir(), 'people-')), 'none.json')
  refusal(
    t,
    () => loadConfig({ SOURCES_FILE: sources, PEOPLE_FILE: unreadable, AUTH_DISABLED: 'true' }),
    `PEOPLE_FILE ${unreadable} cannot be read: ENOENT`,
  )

  const none = loadConfig({ SOURCES_FILE: sources, AUTH_DISABLED: 'true' })
  t.equal(none.peopleFile, undefined)
  t.same(none.people, [])
  t.equal(loadConfig({ PEOPLE_FILE: '  ' }).peopleFile, undefined, 'blank is unset')

  const demo = loadConfig({ PEOPLE_FILE: peopleFile({ people: [{ id: 'E1', accounts: ['hq:a'] }] }) })
  t.same(
    demo.people.map((person) => person.id),
    ['E1'],
    'demo mode: read and shaped here, the sources are checked once the app has them',
  )
})

t.test('the source id "person" is reserved for users "person:<id>"', async (t) => {
  refusal(
    t,
    () => loadConfig({ SOURCES_FILE: sourcesFile(['person']), AUTH_DISABLED: 'true' }),
    'source id "person" is reserved: users "person:<id>" name people (PEOPLE_FILE)',
  )
  refusal(
    t,
    () => loadConfig({ SOURCES_FILE: sourcesFile(['hq', 'person']), AUTH_DISABLED: 'true' }),
    /^source id "person" is reserved/,
  )
  t.equal(
    loadConfig({ SOURCES_FILE: sourcesFile(['persons']), AUTH_DISABLED: 'true' }).sources[0]?.id,
    'persons',
  )
})

t.test('demo mode: the app refuses to start with an account at a source it does not serve', async (t) => {
  const demo = await startDemoSources()
  t.teardown(() => demo.close())
  const path = peopleFile({
    people: [
      { id: 'E1', accounts: ['feishu:u1'] },
      { id: 'E2', accounts: ['hq:ou_1'] },
    ],
  })
  const config = { ...loadConfig({ PEOPLE_FILE: path, LOG_LEVEL: 'silent' }), sources: demo.sources }
  await t.rejects(buildApp({ config, demoMode: true }), {
    name: 'ConfigError',
    message:
      'PEOPLE_FILE people[1].accounts[0] names source "hq", which is not configured (configured: feishu, dingtalk)',
  })
})

t.test(
  'PeopleDirectory: lookups both ways, and a reload that keeps the people in use on a bad file',
  async (t) => {
    const path = peopleFile(GOOD)
    const directory = new PeopleDirectory(readPeopleFile(path, SOURCE_IDS), SOURCE_IDS, path)
    t.equal(directory.size, 2)
    t.same(directory.accountsOf('E1001'), [
      { source: 'feishu', userId: 'ou_7d8a' },
      { source: 'dingtalk', userId: 'manager6699' },
    ])
    t.equal(directory.accountsOf('E9'), undefined)
    t.equal(directory.personOf('dingtalk', 'manager6699'), 'E1001')
    t.equal(directory.personOf('feishu', 'manager6699'), null, 'an account is a source and a user id')
    t.equal(directory.get('E1002')?.name, null)

    const before = directory.list()
    const bad: [string, unknown, RegExp][] = [
      ['not JSON', '{', /cannot be read: not valid JSON/],
      [
        'the wrong shape',
        { people: [{ id: 'E1' }] },
        /^PEOPLE_FILE\.people\.0: must have required properties/,
      ],
      ['an unknown source', { people: [{ id: 'E7', accounts: ['hq:x'] }] }, /names source "hq"/],
      [
        'an account in two people',
        {
          people: [
            { id: 'E7', accounts: ['feishu:x'] },
            { id: 'E8', accounts: ['feishu:x'] },
          ],
        },
        /already belongs to person "E7"/,
      ],
    ]
    for (const [what, content, message] of bad) {
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
      t.throws(() => directory.reload(), { name: 'ConfigError', message }, what)
      t.same(directory.list(), before, `${what}: the people in use stay`)
      t.equal(directory.personOf('feishu', 'ou_7d8a'), 'E1001')
      t.equal(directory.personOf('feishu', 'x'), null, `${what}: nothing of the refused file is used`)
    }

    writeFileSync(
      path,
      JSON.stringify({ people: [{ id: 'E2001', name: 'New', accounts: ['feishu:ou_7d8a', 'dingtalk:n1'] }] }),
    )
    t.equal(directory.reload(), 1, 'the new count')
    t.same(directory.list(), [
      {
        id: 'E2001',
        name: 'New',
        accounts: [
          { source: 'feishu', userId: 'ou_7d8a' },
          { source: 'dingtalk', userId: 'n1' },
        ],
      },
    ])
    t.equal(directory.personOf('feishu', 'ou_7d8a'), 'E2001', 'an account moved to another person')
    t.equal(directory.personOf('dingtalk', 'manager6699'), null, 'an account no longer listed has no person')
    t.equal(directory.accountsOf('E1001'), undefined)

    const fixed = new PeopleDirectory([], SOURCE_IDS)
    t.equal(fixed.reload(), 0, 'without a file, a reload changes nothing')
    t.throws(
      () =>
        new PeopleDirectory(
          [{ id: 'E1', name: null, accounts: [{ source: 'hq', userId: 'a' }] }],
          SOURCE_IDS,
        ),
      ConfigError,
      'the directory checks the sources itself (demo mode)',
    )
  },
)
