// The example answer in the OpenAPI document is not made up: it is the vendors' own documented examples
// (test/fixtures) run through the normalizers.
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { attendanceExamples } from '../../src/service/routes/attendance/examples.js'
import { normalizeDingTalkRecords } from '../../src/vendors/dingtalk/normalize.js'
import { normalizeFeishuTasks } from '../../src/vendors/feishu/normalize.js'

const fixture = async (name: string) =>
  JSON.parse(await readFile(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'))

t.test('the documented example answer is what the normalizers make of the vendor examples', async (t) => {
  const feishu = await fixture('feishu-user-tasks-example.json')
  const dingtalk = await fixture('dingtalk-list-example.json')
  const context = { timezone: 'Asia/Shanghai', includeRaw: false }
  const days = [
    ...normalizeDingTalkRecords(dingtalk.recordresult, { ...context, source: 'dingtalk' }).days,
    ...normalizeFeishuTasks(feishu.data.user_task_results, { ...context, source: 'feishu' }).days,
  ]
  // As an answer gives them: with the person (none here) and when the vendor answered.
  const answered = days.map((day) => ({ ...day, person: null, fetchedAt: '2019-08-20T09:00:00+08:00' }))
  t.same(attendanceExamples.response.results, answered)
})
