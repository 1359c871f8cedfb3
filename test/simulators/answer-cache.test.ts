// The simulators keep recent answers to stay cheap under benchmark load; a cache that evicts must never
// change an answer.
import t from 'tap'
import { createDingTalkLister } from '../../src/simulators/dingtalk/query.js'
import { createFeishuAnswerer } from '../../src/simulators/feishu/query.js'
import { dingTalkRowsFor, feishuTaskFor } from '../../src/simulators/index.js'
import { parseWorkDate } from '../../src/time/work-date.js'

const MONDAY = parseWorkDate('2024-05-06') ?? 0
const directory = {
  seed: 7,
  timezone: 'Asia/Shanghai',
  invalidUserPrefix: 'invalid_',
  unauthorizedUserPrefix: 'unauth_',
  unknownUserPrefix: 'unknown_',
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
