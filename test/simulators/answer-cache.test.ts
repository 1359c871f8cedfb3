// The simulators keep recent answers to stay cheap under benchmark load; a cache that evicts must never
// change an answer, and neither a day changed by hand nor the retention edge may be hidden by one.
import t from 'tap'
import { parseWorkDate } from '../../src/platform/time/work-date.js'
import { createDingTalkLister } from '../../src/simulators/dingtalk/query.js'
import { createFeishuAnswerer, type FeishuOverriddenDay } from '../../src/simulators/feishu/query.js'
import {
  type DingTalkRow,
  dingTalkRowsFor,
  type FeishuUserTask,
  feishuTaskFor,
} from '../../src/simulators/index.js'
import { DayOverrides } from '../../src/simulators/shared/day-overrides.js'

const MONDAY = parseWorkDate('2024-05-06') ?? 0
/** Long after the days asked for: every day is over. */
const LATER = Date.parse('2024-07-01T00:00:00+08:00')
const directory = {
  seed: 7,
  timezone: 'Asia/Shanghai',
  invalidUserPrefix: 'invalid_',
  unauthorizedUserPrefix: 'unauth_',
  unknownUserPrefix: 'unknown_',
  departedUserPrefix: 'departed_',
  dataClock: () => LATER,
}

t.test('Feishu: a tiny task cache still answers exactly what feishuTaskFor computes', async (t) => {
  const answer = createFeishuAnswerer(directory, 3)
  const request = (userIds: string[], overtime: boolean) => ({
    employeeType: 'employee_id' as const,
    ignoreInvalidUsers: false,
    includeTerminatedUser: false,
    userIds,
    checkDateFrom: 20240506,
    checkDateTo: 20240512,
    fromDay: MONDAY,
    toDay: MONDAY + 6,
    needOvertimeResult: overtime,
  })
  for (const [userIds, overtime] of [
    [['a', 'b'], true],
    [['b'], false],
    [['a', 'b'], true],
    [['b'], true],
  ] as const) {
    const { reply, rows } = answer(request([...userIds], overtime))
    const expected = [...userIds].flatMap((userId) =>
      [20240506, 20240507, 20240508, 20240509, 20240510].map((day) =>
        feishuTaskFor(userId, day, { seed: 7, overtime }),
      ),
    )
    t.same(JSON.parse(reply.body as string).data.user_task_results, expected)
    t.equal(rows, expected.length)
  }
})

t.test('DingTalk: a tiny query cache still answers exactly what dingTalkRowsFor computes', async (t) => {
  const list = createDingTalkLister(directory, 2)
  for (const userId of ['a', 'b', 'c', 'a', 'c', 'b']) {
    const { reply } = list({ userIds: [userId], fromDay: MONDAY, toDay: MONDAY, offset: 0, limit: 50 })
    t.same(
      (reply.body as { recordresult: unknown }).recordresult,
      dingTalkRowsFor(userId, '2024-05-06', { seed: 7 }),
    )
  }
})

t.test('DingTalk: a cached answer never hides a day changed by hand, or the retention edge', async (t) => {
  const overrides = new DayOverrides<DingTalkRow[]>()
  let oldestDay: number | undefined
  const list = createDingTalkLister(directory, 2, { overrides, oldestDay: () => oldestDay, now: () => LATER })
  const request = { userIds: ['a'], fromDay: MONDAY, toDay: MONDAY + 1, offset: 0, limit: 50 }
  const served = () => (list(request).reply.body as { recordresult: DingTalkRow[] }).recordresult
  const monday = dingTalkRowsFor('a', '2024-05-06', { seed: 7 })
  const tuesday = dingTalkRowsFor('a', '2024-05-07', { seed: 7 })
  t.same(served(), [...monday, ...tuesday])
  const changed = monday.map((row) => ({ ...row, timeResult: 'Late' as const }))
  overrides.set('a', MONDAY, changed)
  t.same(served(), [...changed, ...tuesday], 'the change, not the cached answer')
  oldestDay = MONDAY + 1
  t.same(served(), tuesday, 'the retention edge moved')
  oldestDay = undefined
  t.equal(overrides.delete('a', MONDAY), true)
  t.same(served(), [...monday, ...tuesday], 'restored')
})

t.test('Feishu: a cached task never hides a day changed by hand', async (t) => {
  const overrides = new DayOverrides<FeishuOverriddenDay>()
  const answer = createFeishuAnswerer(directory, 3, overrides)
  const request = {
    employeeType: 'employee_id' as const,
    ignoreInvalidUsers: false,
    includeTerminatedUser: false,
    userIds: ['a'],
    checkDateFrom: 20240506,
    checkDateTo: 20240506,
    fromDay: MONDAY,
    toDay: MONDAY,
    needOvertimeResult: false,
  }
  const served = () => JSON.parse(answer(request).reply.body as string).data.user_task_results
  const generated = feishuTaskFor('a', 20240506, { seed: 7, overtime: false }) as FeishuUserTask
  t.same(served(), [generated])
  const plain = { ...generated, employee_name: 'changed' }
  overrides.set('a', MONDAY, { plain, overtime: { ...plain, employee_name: 'with overtime' } })
  t.same(served(), [plain])
  t.same(
    JSON.parse(answer({ ...request, needOvertimeResult: true }).reply.body as string).data.user_task_results,
    [{ ...plain, employee_name: 'with overtime' }],
  )
  overrides.clear()
  t.same(served(), [generated])
})

t.test('a day that is not over is served as it stands at each call, never from a cache', async (t) => {
  let now = Date.parse('2024-05-08T09:10:00+08:00')
  const answer = createFeishuAnswerer({ ...directory, dataClock: () => now }, 3)
  const list = createDingTalkLister(directory, 2, {
    overrides: new DayOverrides(),
    oldestDay: () => undefined,
    now: () => now,
  })
  const wednesday = MONDAY + 2
  const feishuRequest = {
    employeeType: 'employee_id' as const,
    ignoreInvalidUsers: false,
    includeTerminatedUser: false,
    userIds: ['a', 'b', 'c'],
    checkDateFrom: 20240508,
    checkDateTo: 20240508,
    fromDay: wednesday,
    toDay: wednesday,
    needOvertimeResult: true,
  }
  const dingTalkRequest = {
    userIds: ['a', 'b', 'c'],
    fromDay: wednesday,
    toDay: wednesday,
    offset: 0,
    limit: 50,
  }
  const morning = now
  for (const moment of [morning, Date.parse('2024-05-08T20:00:00+08:00'), morning, LATER]) {
    now = moment
    t.same(
      JSON.parse(answer(feishuRequest).reply.body as string).data.user_task_results,
      ['a', 'b', 'c'].map((userId) => feishuTaskFor(userId, 20240508, { seed: 7, overtime: true, now })),
      `Feishu at ${new Date(now).toISOString()}`,
    )
    t.same(
      (list(dingTalkRequest).reply.body as { recordresult: unknown }).recordresult,
      ['a', 'b', 'c'].flatMap((userId) => dingTalkRowsFor(userId, '2024-05-08', { seed: 7, now })),
      `DingTalk at ${new Date(now).toISOString()}`,
    )
  }
  t.notSame(
    feishuTaskFor('a', 20240508, { seed: 7, overtime: true, now: morning }),
    feishuTaskFor('a', 20240508, { seed: 7, overtime: true }),
    'not vacuous: the morning differs from the whole day',
  )
})
