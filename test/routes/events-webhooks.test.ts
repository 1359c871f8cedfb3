// Each kind of forged event is refused with a 4xx and changes nothing (no feed entry, no cache drop, no
// dedup mark), and the genuine ones are accepted: Feishu with an Encrypt Key, Feishu without one, DingTalk.
import type { Test } from 'tap'
import t from 'tap'
import type { SourceConfig } from '../../src/config/source-config.js'
import { dingtalkSignature, encryptDingtalk } from '../../src/vendors/dingtalk/crypto.js'
import { encryptFeishu, feishuSignature } from '../../src/vendors/feishu/crypto.js'
import { sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'

const VT = 'verification-token-1'
const EK = 'encrypt-key-1'
const TOKEN = 'tok123'
const AES = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'

async function setUp(t: Test) {
  const simulators = await startSimulators(t)
  const sources = sourcesFor(simulators, {
    feishu: { events: { mode: 'webhook', verificationToken: VT, encryptKey: EK } } as Partial<SourceConfig>,
    dingtalk: { events: { mode: 'webhook', token: TOKEN, aesKey: AES } } as Partial<SourceConfig>,
  })
  const plainFeishu = { ...sources[0], id: 'plain' } as SourceConfig
  ;(plainFeishu as { events: unknown }).events = { mode: 'webhook', verificationToken: VT }
  const { app, logs } = await startReplica(t, [...sources, plainFeishu], { config: { logLevel: 'debug' } })
  const appKey = simulators.dingtalk.credentials.appKey
  app.log.info({ probe: `key ${EK} and ${AES}` }, 'a line that carries secrets')
  // Whatever the test sent and logged, no event secret appears in a log line (redacted like app secrets).
  const noSecretsLogged = () => {
    const text = logs.lines.join('\n')
    t.ok(text.includes('a line that carries secrets'), 'the probe line was logged')
    for (const secret of [VT, EK, TOKEN, AES]) t.notOk(text.includes(secret), 'no event secret in the logs')
  }
  return { app, appKey, noSecretsLogged }
}

/** The simulator's app id, which the test's Feishu sources use. */
const APP_ID = 'cli_simulator'

function feishuEvent(eventId: string, token = VT, appId = APP_ID) {
  return JSON.stringify({
    schema: '2.0',
    header: {
      event_id: eventId,
      event_type: 'attendance.user_task.updated_v1',
      token,
      app_id: appId,
      create_time: String(Date.now()),
    },
    event: { employee_id: 'u1', employee_no: 'u1', date: 20240506 },
  })
}

function signedFeishu(plain: string, options: { key?: string; timestamp?: number; nonce?: string } = {}) {
  const body = JSON.stringify({ encrypt: encryptFeishu(plain, options.key ?? EK) })
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000))
  const nonce = options.nonce ?? `n-${Math.random()}`
  return {
    payload: body,
    headers: {
      'content-type': 'application/json',
      'x-lark-request-timestamp': timestamp,
      'x-lark-request-nonce': nonce,
      'x-lark-signature': feishuSignature(timestamp, nonce, EK, Buffer.from(body)),
    },
  }
}

function dingtalkPush(message: string, appKey: string, options: { timestamp?: number; aes?: string } = {}) {
  const encrypt = encryptDingtalk(message, options.aes ?? AES, appKey)
  const timestamp = String(options.timestamp ?? Date.now())
  const nonce = `n${Math.floor(Math.random() * 1e9)}`
  const signature = dingtalkSignature(TOKEN, timestamp, nonce, encrypt)
  return {
    url: `/events/dingtalk/dingtalk?signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`,
    encrypt,
  }
}

t.test(
  'Feishu: the genuine event and URL verification pass; every forgery is refused and changes nothing',
  async (t) => {
    const { app, noSecretsLogged } = await setUp(t)
    const post = (url: string, request: { payload: string; headers: Record<string, string> }) =>
      app.inject({ method: 'POST', url, ...request })
    const feedLength = async (source = 'feishu') =>
      (await app.inject(`/attendance/changes?source=${source}`)).json().changes.length

    const challenge = await post(
      '/events/feishu/feishu',
      signedFeishu(JSON.stringify({ challenge: 'c-1', type: 'url_verification', token: VT })),
    )
    t.same([challenge.statusCode, challenge.json()], [200, { challenge: 'c-1' }], 'URL verification')
    const unsignedChallenge = await app.inject({
      method: 'POST',
      url: '/events/feishu/feishu',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        encrypt: encryptFeishu(JSON.stringify({ challenge: 'c-2', type: 'url_verification', token: VT }), EK),
      }),
    })
    t.same(
      unsignedChallenge.json(),
      { challenge: 'c-2' },
      'an unsigned URL verification with the right token',
    )

    const forgeries: [string, { payload: string; headers: Record<string, string> }, number][] = [
      [
        'wrong signature',
        {
          ...signedFeishu(feishuEvent('f1')),
          headers: { ...signedFeishu(feishuEvent('f1')).headers, 'x-lark-signature': 'ab'.repeat(32) },
        },
        401,
      ],
      [
        'unsigned event',
        {
          payload: JSON.stringify({ encrypt: encryptFeishu(feishuEvent('f2'), EK) }),
          headers: { 'content-type': 'application/json' },
        },
        401,
      ],
      ['encrypted with another key', signedFeishu(feishuEvent('f3'), { key: 'another-key' }), 401],
      [
        'plaintext where encryption is required',
        { payload: feishuEvent('f4'), headers: { 'content-type': 'application/json' } },
        401,
      ],
      ['wrong Verification Token', signedFeishu(feishuEvent('f5', 'forged-token')), 401],
      ['an event for another app', signedFeishu(feishuEvent('f7', VT, 'cli_another_app')), 401],
      [
        'stale timestamp',
        signedFeishu(feishuEvent('f6'), { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
        401,
      ],
      [
        'URL verification with a wrong token',
        signedFeishu(JSON.stringify({ challenge: 'x', type: 'url_verification', token: 'nope' })),
        401,
      ],
      ['not JSON', { payload: 'not json', headers: { 'content-type': 'application/json' } }, 400],
    ]
    for (const [what, request, status] of forgeries) {
      const answer = await post('/events/feishu/feishu', request)
      t.equal(answer.statusCode, status, what)
      t.equal(answer.json().statusCode, status, `${what}: in the error shape`)
    }
    t.equal(await feedLength(), 0, 'no forgery reached the feed')

    const genuine = signedFeishu(feishuEvent('genuine-1'))
    t.equal((await post('/events/feishu/feishu', genuine)).statusCode, 200, 'the genuine event')
    const replay = await post('/events/feishu/feishu', genuine)
    t.same(
      [replay.statusCode, replay.json().code],
      [409, 'ATT_EVENT_REPLAYED'],
      'the same signed request again',
    )
    const redelivery = await post('/events/feishu/feishu', signedFeishu(feishuEvent('genuine-1')))
    t.equal(redelivery.statusCode, 200, 'a vendor redelivery (new request, same event id) is answered 200')
    const deadline = Date.now() + 5000
    while ((await feedLength()) === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20))
    t.equal(await feedLength(), 1, 'applied once')

    const plain = await app.inject({
      method: 'POST',
      url: '/events/feishu/plain',
      headers: { 'content-type': 'application/json' },
      payload: feishuEvent('plain-1'),
    })
    t.equal(plain.statusCode, 200, 'without an Encrypt Key, the token is the check')
    const plainForged = await app.inject({
      method: 'POST',
      url: '/events/feishu/plain',
      headers: { 'content-type': 'application/json' },
      payload: feishuEvent('plain-2', 'forged'),
    })
    t.equal(plainForged.statusCode, 401)
    const plainOtherApp = await app.inject({
      method: 'POST',
      url: '/events/feishu/plain',
      headers: { 'content-type': 'application/json' },
      payload: feishuEvent('plain-3', VT, 'cli_another_app'),
    })
    t.same(
      [plainOtherApp.statusCode, plainOtherApp.json().message],
      [401, 'event refused: not a signed event of this source'],
      "header.app_id must be the source's appId",
    )
    t.equal(await feedLength('plain'), 1, 'only the event for this app reached the feed')
    const notEnabled = await app.inject({
      method: 'POST',
      url: '/events/feishu/dingtalk',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    })
    t.same([notEnabled.statusCode, notEnabled.json().code], [404, 'ATT_EVENTS_NOT_ENABLED'])
    const tooBig = await app.inject({
      method: 'POST',
      url: '/events/feishu/plain',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(300_000) }),
    })
    t.equal(tooBig.statusCode, 413, 'the body limit')
    noSecretsLogged()
  },
)

t.test(
  'DingTalk: check_url and the genuine event pass; every forgery is refused and changes nothing',
  async (t) => {
    const { app, appKey, noSecretsLogged } = await setUp(t)
    const push = (url: string, encrypt: string) =>
      app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ encrypt }),
      })
    const feedLength = async () =>
      (await app.inject('/attendance/changes?source=dingtalk')).json().changes.length
    const event = (eventId: string) =>
      JSON.stringify({
        EventType: 'attend_user_daily_summary_refresh',
        eventId,
        userId: 'd1',
        workDate: '2024-05-06',
      })

    const check = dingtalkPush(JSON.stringify({ EventType: 'check_url' }), appKey)
    const checked = await push(check.url, check.encrypt)
    t.equal(checked.statusCode, 200)
    t.match(checked.json(), { msg_signature: /^[0-9a-f]{40}$/, encrypt: String })

    const good = dingtalkPush(event('d-genuine'), appKey)
    const forgeries: [string, string, string, number][] = [
      [
        'wrong signature',
        good.url.replace(/signature=[0-9a-f]+/, `signature=${'0'.repeat(40)}`),
        good.encrypt,
        401,
      ],
      ['no signature', good.url.replace(/signature=[0-9a-f]+&/, ''), good.encrypt, 401],
      [
        'another owner (appKey)',
        ...((p) => [p.url, p.encrypt] as const)(dingtalkPush(event('d2'), 'another-app')),
        401,
      ],
      [
        'another AES key',
        ...((p) => [p.url, p.encrypt] as const)(dingtalkPush(event('d3'), appKey, { aes: 'B'.repeat(43) })),
        401,
      ],
      [
        'stale timestamp',
        ...((p) => [p.url, p.encrypt] as const)(
          dingtalkPush(event('d4'), appKey, { timestamp: Date.now() - 3_600_000 }),
        ),
        401,
      ],
    ]
    for (const [what, url, encrypt, status] of forgeries) {
      t.equal((await push(url, encrypt)).statusCode, status, what)
    }
    t.equal(await feedLength(), 0, 'no forgery reached the feed')
    t.equal(
      (await push(good.url, good.encrypt)).statusCode,
      200,
      'the genuine event, answered with the encrypted success',
    )
    t.equal((await push(good.url, good.encrypt)).statusCode, 409, 'its replay')
    const deadline = Date.now() + 5000
    while ((await feedLength()) === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20))
    t.equal(await feedLength(), 1, 'applied once')
    noSecretsLogged()
  },
)

t.test(
  'DingTalk: each event counts once against the monthly event allowance, in /sources and the metrics',
  async (t) => {
    const simulators = await startSimulators(t)
    const [, dingtalk] = sourcesFor(simulators, {
      dingtalk: {
        events: { mode: 'webhook', token: TOKEN, aesKey: AES, monthlyAllowance: 5 },
      } as Partial<SourceConfig>,
    })
    const { app, logs } = await startReplica(t, [dingtalk as SourceConfig])
    const appKey = simulators.dingtalk.credentials.appKey
    const push = async (message: object) => {
      const { url, encrypt } = dingtalkPush(JSON.stringify(message), appKey)
      const answer = await app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ encrypt }),
      })
      t.equal(answer.statusCode, 200, `pushed ${JSON.stringify(message)}`)
    }
    const refresh = (eventId: string, workDate: string) => ({
      EventType: 'attend_user_daily_summary_refresh',
      eventId,
      userId: 'd1',
      workDate,
    })
    const usage = async () =>
      (await app.inject('/sources')).json().sources.find((source: { id: string }) => source.id === 'dingtalk')
        .usage
    const warnings = () =>
      logs
        .records()
        .filter((line) => String(line.msg).includes('event allowance'))
        .map((line) => `${line.level} ${line.used}/${line.limit}`)
    const metric = async (name: string) => {
      const line = (await app.inject('/metrics')).body
        .split('\n')
        .find((found) => found.startsWith(`${name}{source="dingtalk"}`))
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
    }

    t.match(await usage(), { eventPushes: 0, eventAllowance: 5 }, 'nothing pushed yet')
    await push({ EventType: 'check_url' })
    await push(refresh('a-1', '2024-05-06'))
    await push(refresh('a-1', '2024-05-06'))
    await push({ EventType: 'attend_shift_change', eventId: 'a-2' })
    t.match(
      await usage(),
      { eventPushes: 2, eventAllowance: 5 },
      'an event once, redelivered or not, and one that changes no day too; check_url is no event',
    )
    await push(refresh('a-3', '2024-05-07'))
    t.same(warnings(), [], 'no warning below 80%')
    await push(refresh('a-4', '2024-05-08'))
    t.same(warnings(), ['40 4/5'], 'a warning when the 4th of 5 crosses 80%')
    await push(refresh('a-5', '2024-05-09'))
    await push(refresh('a-6', '2024-05-10'))
    t.same(warnings(), ['40 4/5', '50 5/5'], 'and an error when the allowance is spent, once each')
    t.match(await usage(), { eventPushes: 6, eventAllowance: 5 })
    t.equal(await metric('attendance_dingtalk_event_pushes_this_month'), 6)
    t.equal(await metric('attendance_dingtalk_event_allowance'), 5)
  },
)
