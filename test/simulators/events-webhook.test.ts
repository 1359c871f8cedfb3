// The simulators' change events in webhook mode: a day changed at the simulator (PUT/DELETE /__sim/days)
// reaches a receiver as the vendor would send it — Feishu's schema 2.0 envelope encrypted and signed over
// the raw bytes, DingTalk's encrypted push with its signed query and the encrypted "success" it waits
// for — checked here with the service's own crypto and event parsers. Then the delivery faults
// (duplicate, delay, wrong signature), the retry of a failed delivery and the event counters.
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import t from 'tap'
import {
  type DingTalkSourceConfig,
  type FeishuSourceConfig,
  resolveSource,
} from '../../src/config/source-config.js'
import {
  type DayChange,
  type DingTalkRow,
  type DingTalkSimulator,
  dingTalkCorpId,
  type FeishuSimulator,
  type FeishuUserTask,
  feishuTaskFor,
} from '../../src/simulators/index.js'
import { decryptDingtalk, dingtalkReply, verifyDingtalkSignature } from '../../src/vendors/dingtalk/crypto.js'
import { dingtalkEventDays } from '../../src/vendors/dingtalk/events.js'
import { decryptFeishu, verifyFeishuSignature } from '../../src/vendors/feishu/crypto.js'
import { feishuEventDays } from '../../src/vendors/feishu/events.js'
import { admin, startDingTalk, startFeishu } from './helpers.js'

const FEISHU_TOKEN = 'vt-simulated-app'
const ENCRYPT_KEY = 'ek-simulated-app-key'
const DINGTALK_TOKEN = 'tok123simulated'
const AES_KEY = 'QSr6rz24LpOqJ3OpuLIEi2NvSBbI1rmAR1JF3yz4zQ0'

const feishuSource = resolveSource({
  id: 'feishu',
  vendor: 'feishu',
  appId: 'a',
  appSecret: 's',
}) as FeishuSourceConfig
const dingtalkSource = resolveSource({
  id: 'dingtalk',
  vendor: 'dingtalk',
  appKey: 'k',
  appSecret: 's',
}) as DingTalkSourceConfig

interface Received {
  url: URL
  headers: IncomingHttpHeaders
  raw: Buffer
  /** performance.now() when the body had arrived. */
  at: number
}

type Answer = { status: number; body: string }

/** A local HTTP server that records every request and answers what `answer` says. */
async function startReceiver(t: Test, answer: (request: Received, index: number) => Answer) {
  const received: Received[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const entry = {
        url: new URL(request.url ?? '/', 'http://receiver'),
        headers: request.headers,
        raw: Buffer.concat(chunks),
        at: performance.now(),
      }
      received.push(entry)
      const { status, body } = answer(entry, received.length - 1)
      response.writeHead(status, { 'content-type': 'application/json' }).end(body)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }
}

/** Polls until `probe` gives a value (not undefined / false), or fails after the deadline. */
async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined && value !== false) return value
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The event counters over the admin route. */
async function eventCounters(url: string) {
  const { body } = await admin(`${url}/__sim/counters`, 'GET')
  const { eventsSent, eventsAcked, eventsFailed, eventsRetried } = body
  return { eventsSent, eventsAcked, eventsFailed, eventsRetried }
}

/** Waits until no delivery is left to make: every one sent was acknowledged or failed. */
async function settled(simulator: FeishuSimulator | DingTalkSimulator, sent: number) {
  return until(`${sent} deliveries settled`, () => {
    const counters = simulator.counters()
    return counters.eventsSent === sent && (counters.eventsAcked ?? 0) + (counters.eventsFailed ?? 0) === sent
      ? counters
      : undefined
  })
}

// ---- Feishu: a receiver that checks like the service does ----

/** Verifies the signature over the raw bytes (200) or refuses (401). */
function feishuVerifier(encryptKey = ENCRYPT_KEY) {
  return (request: Received): Answer => {
    const header = (name: string) => request.headers[name] as string | undefined
    const ok = verifyFeishuSignature(
      header('x-lark-request-timestamp'),
      header('x-lark-request-nonce'),
      encryptKey,
      request.raw,
      header('x-lark-signature'),
    )
    return ok ? { status: 200, body: '{}' } : { status: 401, body: '{"code":"ATT_EVENT_REFUSED"}' }
  }
}

function feishuEnvelope(request: Received, encryptKey = ENCRYPT_KEY) {
  const body = JSON.parse(request.raw.toString('utf8'))
  return JSON.parse(decryptFeishu(body.encrypt, encryptKey))
}

const feishuEvents = (url: string, extra: object = {}) => ({
  events: {
    webhookUrl: `${url}/events/feishu/feishu`,
    verificationToken: FEISHU_TOKEN,
    encryptKey: ENCRYPT_KEY,
    ...extra,
  },
})

const late = { records: [{ check_in_result: 'Late' }] }

t.test(
  'the day-change hook: PUT, DELETE and DELETE all tell every subscriber, before and after',
  async (t) => {
    const feishu = await startFeishu(t)
    const dingtalk = await startDingTalk(t)
    const feishuChanges: DayChange<FeishuUserTask>[] = []
    const dingtalkChanges: DayChange<DingTalkRow[]>[] = []
    const stop = feishu.dayChanges.subscribe((change) => {
      feishuChanges.push(change)
    })
    feishu.dayChanges.subscribe(() => {
      throw new Error('a subscriber that fails changes nothing for the caller')
    })
    feishu.dayChanges.subscribe(async () => {
      throw new Error('nor does one that rejects')
    })
    dingtalk.dayChanges.subscribe((change) => {
      dingtalkChanges.push(change)
    })

    const generated = feishuTaskFor('u01', 20240507, { overtime: true }) as FeishuUserTask
    const put = await admin(`${feishu.url}/__sim/days/u01/2024-05-07`, 'PUT', late)
    t.equal(put.status, 200, 'the change stands although two subscribers failed')
    t.same(feishuChanges, [
      { userId: 'u01', workDate: '2024-05-07', kind: 'set', before: generated, after: put.body.task },
    ])
    feishu.setDay('u01', '2024-05-07', { records: [{ check_in_result: 'Early' }] })
    t.equal(
      feishuChanges[1]?.before.records[0]?.check_in_result,
      'Late',
      'before: the day as served until then',
    )
    t.equal(feishuChanges[1]?.after.records[0]?.check_in_result, 'Early')
    t.same((await admin(`${feishu.url}/__sim/days/u01/2024-05-07`, 'DELETE')).body.restored, true)
    t.match(feishuChanges[2], { kind: 'reset', after: generated })
    t.equal(feishuChanges[2]?.before.records[0]?.check_in_result, 'Early')
    t.equal(feishu.resetDay('u01', '2024-05-07'), false)
    t.equal(feishuChanges.length, 3, 'restoring a day that was not changed tells nobody')
    feishu.setDay('u02', '2024-05-08', late)
    feishu.setDay('u03', '2024-05-09', late)
    t.same((await admin(`${feishu.url}/__sim/days`, 'DELETE')).body, { restored: 2 })
    t.same(
      feishuChanges.slice(3).map(({ userId, workDate, kind }) => [userId, workDate, kind]),
      [
        ['u02', '2024-05-08', 'set'],
        ['u03', '2024-05-09', 'set'],
        ['u02', '2024-05-08', 'reset'],
        ['u03', '2024-05-09', 'reset'],
      ],
      'DELETE /__sim/days: one change per restored day',
    )
    stop()
    feishu.setDay('u01', '2024-05-10', late)
    t.equal(feishuChanges.length, 7, 'unsubscribed')
    t.equal((await admin(`${feishu.url}/__sim/days/u01/2024-05-11`, 'PUT', late)).status, 400)

    const rows = dingtalk.setDay('u01', '2024-05-07', { checks: { OnDuty: { timeResult: 'Late' } } })
    await admin(`${dingtalk.url}/__sim/days/u01/2024-05-07`, 'DELETE')
    t.same(
      dingtalkChanges.map(({ userId, workDate, kind }) => [userId, workDate, kind]),
      [
        ['u01', '2024-05-07', 'set'],
        ['u01', '2024-05-07', 'reset'],
      ],
    )
    t.same(dingtalkChanges[0]?.after, rows)
    t.same(dingtalkChanges[1]?.before, rows)
    t.same(dingtalkChanges[1]?.after, dingtalkChanges[0]?.before, 'reset serves the generated rows again')
  },
)

t.test('Feishu: the schema 2.0 envelope, encrypted and signed over the raw bytes', async (t) => {
  const feishu = await startFeishu(t)
  const receiver = await startReceiver(t, feishuVerifier())
  t.notOk('eventsSent' in feishu.counters(), 'no event counters before events are configured')
  const patched = await admin(`${feishu.url}/__sim/config`, 'PATCH', feishuEvents(receiver.url))
  t.equal(patched.status, 200)
  t.same(patched.body.events, feishuEvents(receiver.url).events, 'GET/PATCH /__sim/config show the events')
  t.same(patched.body.eventFaults, { duplicate: false, delayMs: 0, wrongSignature: false })
  t.same(await eventCounters(feishu.url), {
    eventsSent: 0,
    eventsAcked: 0,
    eventsFailed: 0,
    eventsRetried: 0,
  })

  const sentAt = Date.now()
  const put = await admin(`${feishu.url}/__sim/days/u01/2024-05-07`, 'PUT', late)
  await settled(feishu, 1)
  t.same(await eventCounters(feishu.url), {
    eventsSent: 1,
    eventsAcked: 1,
    eventsFailed: 0,
    eventsRetried: 0,
  })
  const [request] = receiver.received
  if (!request) throw new Error('nothing received')
  t.equal(request.url.pathname, '/events/feishu/feishu')
  t.match(request.headers['content-type'], /^application\/json/)
  const timestamp = Number(request.headers['x-lark-request-timestamp'])
  t.ok(Math.abs(timestamp - sentAt / 1000) < 5, 'X-Lark-Request-Timestamp: seconds, now')
  t.match(request.headers['x-lark-request-nonce'], /^\S+$/)
  t.ok(feishuVerifier()(request).status === 200, 'X-Lark-Signature verifies over the raw body')
  t.same(Object.keys(JSON.parse(request.raw.toString('utf8'))), ['encrypt'], 'the body is {encrypt} only')

  const envelope = feishuEnvelope(request)
  const task = put.body.task as FeishuUserTask
  t.same(envelope.event, {
    employee_id: 'u01',
    employee_no: 'u01',
    date: 20240507,
    time_zone: 'Asia/Shanghai',
    task_id: task.result_id,
    group_id: task.group_id,
    shift_id: task.shift_id,
    status_changes: [
      {
        index: 0,
        work_type: 'on',
        before_status: 'Normal',
        current_status: 'Late',
        before_supplement: task.records[0]?.check_in_result_supplement,
        current_supplement: task.records[0]?.check_in_result_supplement,
      },
    ],
  })
  t.equal(envelope.schema, '2.0')
  t.match(envelope.header, {
    event_id: /^[0-9a-f]{32}$/,
    event_type: 'attendance.user_task.updated_v1',
    create_time: /^\d{13}$/,
    token: FEISHU_TOKEN,
    app_id: feishu.credentials.appId,
    tenant_key: /^[0-9a-f]{16}$/,
  })
  t.ok(Math.abs(Number(envelope.header.create_time) - sentAt) < 5000, 'create_time: ms, now')
  t.same(feishuEventDays(envelope, feishuSource), [{ userId: 'u01', workDate: '2024-05-07' }])
  t.same(
    feishuEventDays(envelope, { ...feishuSource, employeeType: 'employee_no' }),
    [{ userId: 'u01', workDate: '2024-05-07' }],
    'employee_no names the same user',
  )

  await admin(`${feishu.url}/__sim/days/u01/2024-05-07`, 'DELETE')
  await settled(feishu, 2)
  const reset = feishuEnvelope(receiver.received[1] as Received)
  t.not(reset.header.event_id, envelope.header.event_id, 'every change is an event of its own')
  t.match(reset.event.status_changes, [{ before_status: 'Late', current_status: 'Normal' }], 'DELETE: back')

  feishu.resetCounters()
  t.same(feishu.counters().eventsSent, 0, 'resetCounters zeroes the event counters too')
})

t.test(
  'Feishu without an Encrypt Key: plain JSON, unsigned; with flowEvents, a flow event per new check',
  async (t) => {
    const receiver = await startReceiver(t, () => ({ status: 200, body: '{}' }))
    const feishu = await startFeishu(t, {
      events: { webhookUrl: `${receiver.url}/hook`, verificationToken: FEISHU_TOKEN, flowEvents: true },
    })
    t.same(feishu.counters().eventsSent, 0, 'events configured at start: the counters are there')
    const generated = feishuTaskFor('u01', 20240507, { overtime: true }) as FeishuUserTask
    const checkIn = String(Number(generated.records[0]?.check_in_shift_time) + 20 * 60)
    feishu.setDay('u01', '2024-05-07', { records: [{ check_in_result: 'Late', check_in_time: checkIn }] })
    await settled(feishu, 2)
    const bodies = receiver.received.map((request) => JSON.parse(request.raw.toString('utf8')))
    for (const request of receiver.received) {
      t.notOk(request.headers['x-lark-signature'], 'no signature without an Encrypt Key')
      t.equal(request.url.pathname, '/hook')
    }
    const types = bodies.map((body) => body.header.event_type).sort()
    t.same(types, ['attendance.user_flow.created_v1', 'attendance.user_task.updated_v1'])
    const flow = bodies.find((body) => body.header.event_type === 'attendance.user_flow.created_v1')
    t.match(flow, {
      schema: '2.0',
      header: { token: FEISHU_TOKEN },
      event: {
        employee_id: 'u01',
        employee_no: 'u01',
        check_time: checkIn,
        record_id: generated.records[0]?.check_in_record_id,
        type: 0,
      },
    })
    t.same(
      feishuEventDays(flow, feishuSource),
      [
        { userId: 'u01', workDate: '2024-05-06' },
        { userId: 'u01', workDate: '2024-05-07' },
      ],
      "the service reads the check's day (and the day before, for overnight shifts)",
    )
    feishu.setDay('u01', '2024-05-08', { records: [{ check_in_result_supplement: 'Leave' }] })
    await settled(feishu, 3)
    t.equal(
      JSON.parse((receiver.received[2] as Received).raw.toString('utf8')).header.event_type,
      'attendance.user_task.updated_v1',
      'no new check, no flow event',
    )
  },
)

// ---- DingTalk: a receiver that answers like the service does ----

function dingtalkReceiverAnswer(keys = { token: DINGTALK_TOKEN, aesKey: AES_KEY, owner: 'simulator-key' }) {
  return (request: Received): Answer => {
    const query = (name: string) => request.url.searchParams.get(name) ?? undefined
    const { encrypt } = JSON.parse(request.raw.toString('utf8'))
    if (!verifyDingtalkSignature(keys.token, query('timestamp'), query('nonce'), encrypt, query('signature')))
      return { status: 401, body: '{"code":"ATT_EVENT_REFUSED"}' }
    decryptDingtalk(encrypt, keys.aesKey, keys.owner)
    const reply = dingtalkReply('success', keys.token, keys.aesKey, keys.owner, String(Date.now()), 'n0nce')
    return { status: 200, body: JSON.stringify(reply) }
  }
}

function dingtalkMessage(request: Received, owner = 'simulator-key') {
  return JSON.parse(decryptDingtalk(JSON.parse(request.raw.toString('utf8')).encrypt, AES_KEY, owner))
}

const dingtalkEvents = (url: string, extra: object = {}) => ({
  events: { webhookUrl: `${url}/events/dingtalk/dingtalk`, token: DINGTALK_TOKEN, aesKey: AES_KEY, ...extra },
})
const dingtalkLate = { checks: { OnDuty: { timeResult: 'Late' } } }

t.test(
  'DingTalk: the encrypted push with its signed query; the encrypted "success" acknowledges it',
  async (t) => {
    const receiver = await startReceiver(t, dingtalkReceiverAnswer())
    const dingtalk = await startDingTalk(t, dingtalkEvents(receiver.url))
    const sentAt = Date.now()
    await admin(`${dingtalk.url}/__sim/days/u01/2024-05-07`, 'PUT', dingtalkLate)
    await settled(dingtalk, 1)
    t.same(await eventCounters(dingtalk.url), {
      eventsSent: 1,
      eventsAcked: 1,
      eventsFailed: 0,
      eventsRetried: 0,
    })
    const request = receiver.received[0] as Received
    t.equal(request.url.pathname, '/events/dingtalk/dingtalk')
    const query = Object.fromEntries(request.url.searchParams)
    t.same(Object.keys(query).sort(), ['nonce', 'signature', 'timestamp'])
    t.ok(Math.abs(Number(query.timestamp) - sentAt) < 5000, 'timestamp: ms, now')
    const message = dingtalkMessage(request)
    t.match(message, {
      EventType: 'attend_user_daily_summary_refresh',
      eventId: /^[0-9a-f]{32}$/,
      CorpId: dingTalkCorpId(20240506),
      userId: 'u01',
      workDate: '2024-05-07',
    })
    t.ok(Math.abs(message.EventTime - sentAt) < 5000, 'EventTime: ms, now')
    t.same(dingtalkEventDays(message.EventType, message, dingtalkSource), [
      { userId: 'u01', workDate: '2024-05-07' },
    ])

    t.test('the owner key is events.appKey when given', async (t) => {
      const receiver = await startReceiver(
        t,
        dingtalkReceiverAnswer({ token: DINGTALK_TOKEN, aesKey: AES_KEY, owner: 'dingOtherAppKey' }),
      )
      const dingtalk = await startDingTalk(t, dingtalkEvents(receiver.url, { appKey: 'dingOtherAppKey' }))
      dingtalk.setDay('u01', '2024-05-07', dingtalkLate)
      await settled(dingtalk, 1)
      t.equal(dingtalk.counters().eventsAcked, 1)
      t.equal(dingtalkMessage(receiver.received[0] as Received, 'dingOtherAppKey').userId, 'u01')
    })

    t.test('an answer other than the encrypted "success" is a failed push, tried once more', async (t) => {
      const answers: Answer[] = [
        { status: 200, body: '{}' },
        {
          status: 200,
          body: JSON.stringify(dingtalkReply('fail', DINGTALK_TOKEN, AES_KEY, 'simulator-key', '1', 'n')),
        },
        {
          status: 200,
          body: JSON.stringify(dingtalkReply('success', 'wrongToken', AES_KEY, 'simulator-key', '1', 'n')),
        },
        {
          status: 200,
          body: JSON.stringify(dingtalkReply('success', DINGTALK_TOKEN, AES_KEY, 'another-app', '1', 'n')),
        },
      ]
      const receiver = await startReceiver(t, (_request, index) => answers[index] as Answer)
      const dingtalk = await startDingTalk(t, dingtalkEvents(receiver.url))
      dingtalk.setDay('u01', '2024-05-07', dingtalkLate)
      dingtalk.setDay('u01', '2024-05-08', dingtalkLate)
      await settled(dingtalk, 4)
      t.same(await eventCounters(dingtalk.url), {
        eventsSent: 4,
        eventsAcked: 0,
        eventsFailed: 4,
        eventsRetried: 2,
      })
    })
  },
)

// ---- Faults, retries, failures ----

t.test('duplicate: the same event (same id) delivered twice, each signed afresh', async (t) => {
  const feishuReceiver = await startReceiver(t, feishuVerifier())
  const feishu = await startFeishu(t, {
    ...feishuEvents(feishuReceiver.url),
    eventFaults: { duplicate: true },
  })
  feishu.setDay('u01', '2024-05-07', late)
  await settled(feishu, 2)
  t.same(await eventCounters(feishu.url), {
    eventsSent: 2,
    eventsAcked: 2,
    eventsFailed: 0,
    eventsRetried: 0,
  })
  const [first, second] = feishuReceiver.received as [Received, Received]
  t.equal(feishuEnvelope(first).header.event_id, feishuEnvelope(second).header.event_id, 'one event id')
  t.not(first.headers['x-lark-request-nonce'], second.headers['x-lark-request-nonce'], 'a fresh nonce')
  t.not(first.headers['x-lark-signature'], second.headers['x-lark-signature'], 'a fresh signature')

  const dingtalkReceiver = await startReceiver(t, dingtalkReceiverAnswer())
  const dingtalk = await startDingTalk(t, dingtalkEvents(dingtalkReceiver.url))
  t.equal(
    (await admin(`${dingtalk.url}/__sim/config`, 'PATCH', { eventFaults: { duplicate: true } })).status,
    200,
  )
  dingtalk.setDay('u01', '2024-05-07', dingtalkLate)
  await settled(dingtalk, 2)
  t.same(await eventCounters(dingtalk.url), {
    eventsSent: 2,
    eventsAcked: 2,
    eventsFailed: 0,
    eventsRetried: 0,
  })
  const [one, two] = dingtalkReceiver.received as [Received, Received]
  t.equal(dingtalkMessage(one).eventId, dingtalkMessage(two).eventId, 'one eventId')
  t.not(one.url.searchParams.get('nonce'), two.url.searchParams.get('nonce'))
  t.not(one.url.searchParams.get('signature'), two.url.searchParams.get('signature'))
})

t.test('delayMs: the event is delivered after the delay', async (t) => {
  const receiver = await startReceiver(t, feishuVerifier())
  const feishu = await startFeishu(t, { ...feishuEvents(receiver.url), eventFaults: { delayMs: 400 } })
  const changedAt = performance.now()
  feishu.setDay('u01', '2024-05-07', late)
  t.equal(receiver.received.length, 0, 'nothing at once')
  t.equal(feishu.counters().eventsSent, 0)
  await settled(feishu, 1)
  const waited = (receiver.received[0] as Received).at - changedAt
  t.ok(waited >= 395, `delivered ${Math.round(waited)} ms after the change`)
  t.equal(feishu.counters().eventsAcked, 1)
})

t.test('wrongSignature: a corrupted signature, refused by the receiver, counted as failed', async (t) => {
  const feishuReceiver = await startReceiver(t, feishuVerifier())
  const feishu = await startFeishu(t, {
    ...feishuEvents(feishuReceiver.url),
    eventFaults: { wrongSignature: true },
  })
  feishu.setDay('u01', '2024-05-07', late)
  await settled(feishu, 2)
  t.same(
    await eventCounters(feishu.url),
    { eventsSent: 2, eventsAcked: 0, eventsFailed: 2, eventsRetried: 1 },
    'refused, tried once more, refused again',
  )
  for (const request of feishuReceiver.received) {
    t.equal(feishuVerifier()(request).status, 401, 'the signature does not verify')
    t.equal(feishuEnvelope(request).header.token, FEISHU_TOKEN, 'the body itself is the real event')
  }

  const dingtalkReceiver = await startReceiver(t, dingtalkReceiverAnswer())
  const dingtalk = await startDingTalk(t, {
    ...dingtalkEvents(dingtalkReceiver.url),
    eventFaults: { wrongSignature: true },
  })
  dingtalk.setDay('u01', '2024-05-07', dingtalkLate)
  await settled(dingtalk, 2)
  t.same(await eventCounters(dingtalk.url), {
    eventsSent: 2,
    eventsAcked: 0,
    eventsFailed: 2,
    eventsRetried: 1,
  })
  for (const request of dingtalkReceiver.received) {
    const query = (name: string) => request.url.searchParams.get(name) ?? undefined
    const { encrypt } = JSON.parse(request.raw.toString('utf8'))
    t.notOk(
      verifyDingtalkSignature(
        DINGTALK_TOKEN,
        query('timestamp'),
        query('nonce'),
        encrypt,
        query('signature'),
      ),
    )
    t.equal(dingtalkMessage(request).userId, 'u01')
  }

  t.test('without an Encrypt Key nothing is signed: the Verification Token is wrong instead', async (t) => {
    const receiver = await startReceiver(t, () => ({ status: 200, body: '{}' }))
    const feishu = await startFeishu(t, {
      events: { webhookUrl: receiver.url, verificationToken: FEISHU_TOKEN },
      eventFaults: { wrongSignature: true },
    })
    feishu.setDay('u01', '2024-05-07', late)
    await settled(feishu, 1)
    const body = JSON.parse((receiver.received[0] as Received).raw.toString('utf8'))
    t.not(body.header.token, FEISHU_TOKEN)
  })
})

t.test('a failed delivery (not 2xx) is retried once after a short delay', async (t) => {
  const answers = [500, 200, 503, 502]
  const receiver = await startReceiver(t, (_request, index) => ({
    status: answers[index] ?? 200,
    body: '{}',
  }))
  const feishu = await startFeishu(t, {
    events: { webhookUrl: receiver.url, verificationToken: FEISHU_TOKEN },
  })
  feishu.setDay('u01', '2024-05-07', late)
  await settled(feishu, 2)
  t.same(await eventCounters(feishu.url), {
    eventsSent: 2,
    eventsAcked: 1,
    eventsFailed: 1,
    eventsRetried: 1,
  })
  const [first, retry] = receiver.received.map((request) => JSON.parse(request.raw.toString('utf8')))
  t.equal(retry.header.event_id, first.header.event_id, 'the retry is the same event')
  t.ok((receiver.received[1] as Received).at - (receiver.received[0] as Received).at >= 150, 'after a pause')
  feishu.setDay('u01', '2024-05-08', late)
  await settled(feishu, 4)
  t.same(
    await eventCounters(feishu.url),
    { eventsSent: 4, eventsAcked: 1, eventsFailed: 3, eventsRetried: 2 },
    'retried once only: then the event is given up',
  )
})

t.test('eventRetryDelaysMs: a failed delivery is retried after each wait of the schedule', async (t) => {
  // Refused twice, then acknowledged: the third attempt (the second retry) gets through.
  const answers = [503, 503, 200]
  const receiver = await startReceiver(t, (_request, index) => ({
    status: answers[index] ?? 500,
    body: '{}',
  }))
  const feishu = await startFeishu(t, {
    events: { webhookUrl: receiver.url, verificationToken: FEISHU_TOKEN },
    eventRetryDelaysMs: [100, 300, 300],
  })
  t.same((await admin(`${feishu.url}/__sim/config`, 'GET')).body.eventRetryDelaysMs, [100, 300, 300])
  feishu.setDay('u01', '2024-05-07', late)
  await settled(feishu, 3)
  t.same(
    await eventCounters(feishu.url),
    { eventsSent: 3, eventsAcked: 1, eventsFailed: 2, eventsRetried: 2 },
    'retried until acknowledged, and no further',
  )
  const [first, second, third] = receiver.received as [Received, Received, Received]
  t.ok(second.at - first.at >= 95, `first retry ${Math.round(second.at - first.at)} ms after the failure`)
  t.ok(third.at - second.at >= 295, `second retry ${Math.round(third.at - second.at)} ms after the next`)

  // A schedule of none: a failed delivery is given up at once.
  const refusing = await startReceiver(t, () => ({ status: 500, body: '{}' }))
  const dingtalk = await startDingTalk(t, { ...dingtalkEvents(refusing.url), eventRetryDelaysMs: [] })
  dingtalk.setDay('u01', '2024-05-07', dingtalkLate)
  await settled(dingtalk, 1)
  t.same(await eventCounters(dingtalk.url), {
    eventsSent: 1,
    eventsAcked: 0,
    eventsFailed: 1,
    eventsRetried: 0,
  })

  const refused = await admin(`${feishu.url}/__sim/config`, 'PATCH', { eventRetryDelaysMs: [100, -1] })
  t.equal(refused.status, 400)
  t.match(refused.body.message, /eventRetryDelaysMs must be an array/)
  const tooMany = await admin(`${feishu.url}/__sim/config`, 'PATCH', {
    eventRetryDelaysMs: Array(11).fill(1),
  })
  t.equal(tooMany.status, 400, 'at most ten retries')
})

t.test('nobody listening: failures are counted, the simulator carries on', async (t) => {
  const closed = createServer()
  closed.listen(0, '127.0.0.1')
  await once(closed, 'listening')
  const port = (closed.address() as AddressInfo).port
  await new Promise((resolve) => closed.close(resolve))
  const feishu = await startFeishu(t, {
    events: {
      webhookUrl: `http://127.0.0.1:${port}/`,
      verificationToken: FEISHU_TOKEN,
      encryptKey: ENCRYPT_KEY,
    },
  })
  const dingtalk = await startDingTalk(t, dingtalkEvents(`http://127.0.0.1:${port}`))
  t.equal((await admin(`${feishu.url}/__sim/days/u01/2024-05-07`, 'PUT', late)).status, 200)
  t.equal((await admin(`${dingtalk.url}/__sim/days/u01/2024-05-07`, 'PUT', dingtalkLate)).status, 200)
  await settled(feishu, 2)
  await settled(dingtalk, 2)
  for (const simulator of [feishu, dingtalk])
    t.same(await eventCounters(simulator.url), {
      eventsSent: 2,
      eventsAcked: 0,
      eventsFailed: 2,
      eventsRetried: 1,
    })
  t.equal((await admin(`${feishu.url}/__sim/days/u01/2024-05-07`, 'DELETE')).status, 200, 'still answering')
})

t.test('closing drops the deliveries still waiting, at once', async (t) => {
  const receiver = await startReceiver(t, feishuVerifier())
  const feishu = await startFeishu(t, { ...feishuEvents(receiver.url), eventFaults: { delayMs: 60_000 } })
  feishu.setDay('u01', '2024-05-07', late)
  const started = performance.now()
  await feishu.close()
  t.ok(performance.now() - started < 5000, 'close did not wait for the delay')
  t.equal(receiver.received.length, 0)
  t.same(feishu.counters().eventsSent, 0)
})

t.test('the events settings are checked: PATCH /__sim/config refuses what cannot work', async (t) => {
  const feishu = await startFeishu(t)
  const dingtalk = await startDingTalk(t)
  const refused = async (url: string, patch: object, message: RegExp) => {
    const answer = await admin(`${url}/__sim/config`, 'PATCH', patch)
    t.equal(answer.status, 400, JSON.stringify(patch))
    t.match(answer.body.message, message)
  }
  await refused(feishu.url, { events: { webhookUrl: 'http://127.0.0.1:1/' } }, /verificationToken/)
  await refused(feishu.url, { events: { webhookUrl: 'not a url', verificationToken: 'x' } }, /webhookUrl/)
  await refused(feishu.url, { events: { mode: 'webhook' } }, /mode is not a key/)
  await refused(feishu.url, { eventFaults: { duplicate: 'yes' } }, /duplicate must be true or false/)
  await refused(feishu.url, { eventFaults: { delayMs: -1 } }, /delayMs/)
  await refused(dingtalk.url, { events: { webhookUrl: 'http://127.0.0.1:1/', token: 'abc' } }, /aesKey/)
  await refused(dingtalk.url, { events: { aesKey: 'short' } }, /aesKey must be 43/)
  await refused(dingtalk.url, { events: { token: 'a-b' } }, /token/)
  const config = (await admin(`${feishu.url}/__sim/config`, 'GET')).body
  t.notOk('events' in config || 'eventFaults' in config, 'nothing changed: no event settings shown yet')
  t.notOk(
    'eventsSent' in (await admin(`${dingtalk.url}/__sim/counters`, 'GET')).body,
    'no events: no counters',
  )
  const off = await admin(`${feishu.url}/__sim/config`, 'PATCH', { events: {} })
  t.same(off.body.events, {}, '{} turns the webhook off')
})
