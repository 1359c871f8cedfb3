// malformedRate and htmlErrorRate: answers a vendor client cannot read as the vendor's JSON.
import t from 'tap'
import { dingTalkToken, dingTalkWeek, feishuToken, startDingTalk, startFeishu, users } from './helpers.js'

const week = { user_ids: ['u01', 'u02'], check_date_from: 20240506, check_date_to: 20240510 }

interface RawAnswer {
  status: number
  contentType: string | null
  text: string
}

async function raw(url: string, init: RequestInit): Promise<RawAnswer> {
  const response = await fetch(url, init)
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text: await response.text(),
  }
}

const feishuQueryRaw = (url: string, token: string) =>
  raw(`${url}/open-apis/attendance/v1/user_tasks/query?employee_type=employee_id`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(week),
  })

const dingTalkListRaw = (url: string, token: string) =>
  raw(`${url}/attendance/list?access_token=${encodeURIComponent(token)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(dingTalkWeek(users('d', 3))),
  })

function parses(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

t.test(
  'malformedRate 1: HTTP 200, a JSON content type, the start of the real answer, unparseable',
  async (t) => {
    const feishu = await startFeishu(t)
    const token = await feishuToken(feishu)
    const whole = await feishuQueryRaw(feishu.url, token)
    t.ok(parses(whole.text))
    const rowsOfOneAnswer = feishu.counters().rowsServed
    feishu.configure({ malformedRate: 1 })
    const cut = await feishuQueryRaw(feishu.url, token)
    t.equal(cut.status, 200)
    t.match(cut.contentType, /^application\/json/)
    t.notOk(parses(cut.text), 'the body does not parse')
    t.ok(cut.text.length > 0 && whole.text.startsWith(cut.text), 'it is the real answer, cut off')
    t.match(feishu.counters(), { dataCalls: 2, injectedMalformed: 1, injectedErrors: 0 })
    t.equal(
      feishu.counters().rowsServed,
      rowsOfOneAnswer,
      'the rows of the cut-off answer are not counted as served',
    )

    const dingtalk = await startDingTalk(t, { malformedRate: 1 })
    const access = await dingTalkToken(dingtalk)
    const answer = await dingTalkListRaw(dingtalk.url, access)
    t.equal(answer.status, 200)
    t.notOk(parses(answer.text))
    t.match(answer.text, /^\{"errcode":0/)
    t.match(dingtalk.counters(), { dataCalls: 1, injectedMalformed: 1, rowsServed: 0 })
  },
)

t.test('htmlErrorRate 1: an HTML gateway page with HTTP 502 from both vendors', async (t) => {
  const feishu = await startFeishu(t, { htmlErrorRate: 1 })
  const dingtalk = await startDingTalk(t, { htmlErrorRate: 1 })
  const answers = [
    await feishuQueryRaw(feishu.url, await feishuToken(feishu)),
    await dingTalkListRaw(dingtalk.url, await dingTalkToken(dingtalk)),
  ]
  for (const answer of answers) {
    t.equal(answer.status, 502)
    t.match(answer.contentType, /^text\/html/)
    t.match(answer.text, /^<html>[\s\S]*502 Bad Gateway/)
  }
  for (const simulator of [feishu, dingtalk]) {
    t.match(simulator.counters(), { tokenCalls: 1, dataCalls: 1, injectedHtmlErrors: 1, rowsServed: 0 })
  }
})

t.test('token calls are spared unless faultsOnTokenCalls; then they get the page too', async (t) => {
  const dingtalk = await startDingTalk(t, { htmlErrorRate: 1, malformedRate: 0 })
  const query = new URLSearchParams({
    appkey: dingtalk.credentials.appKey,
    appsecret: dingtalk.credentials.appSecret,
  })
  t.equal((await raw(`${dingtalk.url}/gettoken?${query}`, {})).status, 200)
  dingtalk.configure({ faultsOnTokenCalls: true })
  const page = await raw(`${dingtalk.url}/gettoken?${query}`, {})
  t.equal(page.status, 502)
  dingtalk.configure({ htmlErrorRate: 0, malformedRate: 1 })
  const cut = await raw(`${dingtalk.url}/gettoken?${query}`, {})
  t.same([cut.status, parses(cut.text)], [200, false])
  t.match(dingtalk.counters(), { tokenCalls: 3, injectedHtmlErrors: 1, injectedMalformed: 1 })
})

t.test('the rates are checked like the others and shown in the config', async (t) => {
  const feishu = await startFeishu(t)
  t.throws(() => feishu.configure({ malformedRate: 1.5 }), {
    message: /malformedRate must be a number in 0\.\.1/,
  })
  t.throws(() => feishu.configure({ htmlErrorRate: -0.1 }), {
    message: /htmlErrorRate must be a number in 0\.\.1/,
  })
  feishu.configure({ malformedRate: 0.25, htmlErrorRate: 0.5 })
  t.match(feishu.config(), { malformedRate: 0.25, htmlErrorRate: 0.5 })
})

t.test('malformedRate 0.5 cuts off about half the answers', async (t) => {
  const feishu = await startFeishu(t, { malformedRate: 0.5, rateLimitPerSecond: 1000 })
  const token = await feishuToken(feishu)
  const answers = await Promise.all(Array.from({ length: 100 }, () => feishuQueryRaw(feishu.url, token)))
  const cut = answers.filter((answer) => !parses(answer.text)).length
  t.ok(cut > 20 && cut < 80, `${cut} of 100 cut off`)
  t.equal(feishu.counters().injectedMalformed, cut)
})
