// The streamed answer writes days with JSON.stringify instead of the schema's compiled serializer (it is
// 2.6× faster; see answerSerializers). That is only right while both give the same JSON: days built by
// the normalizers and the cache codec hold exactly the schema's properties, of its types (in another order
// at times, which JSON does not give a meaning).
// Checked here on days of both vendors, with and without raw rows and overtime, fresh and from the cache.
import { isDeepStrictEqual } from 'node:util'
import Fastify from 'fastify'
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { DayResult } from '../../src/schemas/day-result.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'

/** The serializer Fastify compiles from the DayResult schema, as a whole answer uses it. */
async function compiledDaySerializer(): Promise<(day: unknown) => string> {
  const fastify = Fastify()
  let compiled: ((day: unknown) => string) | undefined
  fastify.get('/', async (_request, reply) => {
    compiled = reply.compileSerializationSchema(DayResult as never) as (day: unknown) => string
    return ''
  })
  await fastify.inject('/')
  await fastify.close()
  if (!compiled) throw new Error('no serializer compiled')
  return compiled
}

t.test('JSON.stringify writes every day as the schema serializer would', async (t) => {
  const serialize = await compiledDaySerializer()
  const simulators = await startSimulators(t)
  const cached = { cacheTtlSeconds: 21_600 }
  const { app } = await startReplica(t, sourcesFor(simulators, { feishu: cached, dingtalk: cached }))
  let compared = 0
  for (const [index, options] of ['', '&includeRaw=true', '&overtime=true&includeRaw=true'].entries()) {
    // Users of their own for each option: the first pass is fetched from the vendors, the second cached.
    const users = [...userList('feishu', 60, `o${index}-`), ...userList('dingtalk', 60, `o${index}-`)].join(
      ',',
    )
    for (const pass of ['fresh', 'cached']) {
      const url = `/attendance/results?from=2024-05-06&to=2024-05-12&users=${users}${options}`
      const answer = (await app.inject(url)).json<AttendanceResponse>()
      t.equal(answer.complete, true)
      t.ok(answer.results.length >= 120 * 5, `${pass}${options}: ${answer.results.length} days`)
      const hits = answer.sources.map((source) => source.cache?.hits ?? 0)
      t.ok(
        pass === 'cached' ? hits.every((count) => count > 0) : hits.every((count) => count === 0),
        `${pass}${options}: ${pass === 'cached' ? 'from the cache' : 'from the vendors'} (hits ${hits.join(', ')})`,
      )
      // The same properties, values and types (the order of properties may differ: JSON objects have none).
      const different = answer.results.filter((day) => !isDeepStrictEqual(JSON.parse(serialize(day)), day))
      t.same(different.slice(0, 1), [], `${pass}${options}: every day the same JSON`)
      compared += answer.results.length
    }
  }
  t.ok(compared > 3000, `${compared} days compared`)
})
