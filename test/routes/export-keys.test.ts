// An export belongs to its API key across restarts and configuration changes: a key keeps its name when
// another key is removed from API_KEYS (names come from the key, never its position), so nobody inherits
// another key's jobs; and a job's file is served only while its key may still read every source in it.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import type { ApiKey } from '../../src/config/api-keys.js'
import { loadApiKeys } from '../../src/config/api-keys-config.js'
import type { ExportJob } from '../../src/schemas/export.js'
import { until } from '../faults/helpers.js'
import { bearer } from '../helpers/api-keys.js'
import { type Simulators, sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'
import { uniquePrefix } from '../helpers/redis.js'

const FIRST = 'first-export-key-0123456789abcdef'
const SECOND = 'second-export-key-0123456789abcde'
const PAYLOAD = { from: '2024-05-06', to: '2024-05-10', format: 'csv' }

type App = Awaited<ReturnType<typeof startReplica>>['app']

/** An app on the simulators and Redis under `prefix`, with `apiKeys`, closed before the test's next build. */
async function build(t: Test, simulators: Simulators, prefix: string, apiKeys: ApiKey[]): Promise<App> {
  const { app } = await startReplica(t, sourcesFor(simulators), {
    redisKeyPrefix: prefix,
    config: { apiKeys },
  })
  return app
}

const get = (app: App, key: string, url: string) => app.inject({ method: 'GET', url, headers: bearer(key) })

async function finishedExport(app: App, key: string, users: string[]): Promise<ExportJob> {
  const response = await app.inject({
    method: 'POST',
    url: '/attendance/exports',
    headers: bearer(key),
    payload: { ...PAYLOAD, users },
  })
  if (response.statusCode !== 202)
    throw new Error(`POST answered ${response.statusCode}: ${response.payload}`)
  const { id } = response.json<ExportJob>()
  let job: ExportJob | undefined
  await until(async () => {
    job = (await get(app, key, `/attendance/exports/${id}`)).json<ExportJob>()
    return job.finishedAt !== null
  }, `export ${id} to finish`)
  return job as ExportJob
}

function errorOf(response: LightMyRequestResponse): { statusCode: number; code: string } {
  const { statusCode, code } = response.json<{ statusCode: number; code: string }>()
  return { statusCode, code }
}

t.test('removing the first key of API_KEYS hands none of its exports to the second', async (t) => {
  const simulators = await startSimulators(t)
  const prefix = uniquePrefix()
  const both = loadApiKeys({ API_KEYS: `${FIRST},${SECOND}` })
  const before = await build(t, simulators, prefix, both)
  const firsts = await finishedExport(before, FIRST, ['feishu:u1'])
  const seconds = await finishedExport(before, SECOND, ['dingtalk:d1'])
  t.equal(firsts.status, 'succeeded')
  t.equal(seconds.status, 'succeeded')
  await before.close()

  const onlySecond = loadApiKeys({ API_KEYS: SECOND })
  t.equal(onlySecond[0]?.name, both[1]?.name, 'the second key keeps its name')
  t.not(onlySecond[0]?.name, both[0]?.name, 'and does not take the first one’s')
  const after = await build(t, simulators, prefix, onlySecond)
  const notFound = { statusCode: 404, code: 'ATT_EXPORT_NOT_FOUND' }
  t.same(errorOf(await get(after, SECOND, `/attendance/exports/${firsts.id}`)), notFound, 'GET')
  t.same(errorOf(await get(after, SECOND, `/attendance/exports/${firsts.id}/file`)), notFound, 'GET file')
  const listed = (await get(after, SECOND, '/attendance/exports')).json<{ exports: ExportJob[] }>()
  t.same(
    listed.exports.map((job) => job.id),
    [seconds.id],
    'the second key lists its own export only',
  )
  t.equal(
    (await get(after, SECOND, `/attendance/exports/${seconds.id}/file`)).statusCode,
    200,
    'and gets its file',
  )
})

t.test(
  'a key whose sources are narrowed may no longer download an older file of the removed source',
  async (t) => {
    const simulators = await startSimulators(t)
    const prefix = uniquePrefix()
    const keyFile = (sources: string[]) => {
      const path = join(t.testdir(), `keys-${sources.join('-')}.json`)
      writeFileSync(path, JSON.stringify({ keys: [{ name: 'payroll', key: FIRST, sources }] }))
      return loadApiKeys({ API_KEYS_FILE: path })
    }
    const wide = await build(t, simulators, prefix, keyFile(['feishu', 'dingtalk']))
    const both = await finishedExport(wide, FIRST, ['feishu:u1', 'dingtalk:d1'])
    const feishuOnly = await finishedExport(wide, FIRST, ['feishu:u2'])
    t.equal((await get(wide, FIRST, `/attendance/exports/${both.id}/file`)).statusCode, 200, 'served before')
    await wide.close()

    const narrow = await build(t, simulators, prefix, keyFile(['feishu']))
    const refused = await get(narrow, FIRST, `/attendance/exports/${both.id}/file`)
    t.same(
      errorOf(refused),
      { statusCode: 403, code: 'ATT_FORBIDDEN_SOURCE' },
      'the file holds DingTalk days',
    )
    t.match(refused.json<{ message: string }>().message, /"payroll" may not read source\(s\) dingtalk$/)
    t.equal(
      (await get(narrow, FIRST, `/attendance/exports/${feishuOnly.id}/file`)).statusCode,
      200,
      'a file of the sources it still reads is served',
    )
    t.equal(
      (await get(narrow, FIRST, `/attendance/exports/${both.id}`)).statusCode,
      200,
      'the job itself still shows (it holds no attendance data), so that its owner can delete it',
    )
    const deleted = await narrow.inject({
      method: 'DELETE',
      url: `/attendance/exports/${both.id}`,
      headers: bearer(FIRST),
    })
    t.equal(deleted.statusCode, 204)
  },
)
