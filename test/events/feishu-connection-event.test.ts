// What the Feishu long connection makes of a delivery: the SDK hands the handler the envelope's header and
// event flattened into one object; an event of another app (header.app_id) or without an event id is
// acknowledged and changes nothing, as the webhook refuses it.
import t from 'tap'
import { type FeishuSourceConfig, resolveSource } from '../../src/config/source-config.js'
import { FEISHU_TASK_UPDATED } from '../../src/vendors/feishu/events.js'
import { connectionEvent } from '../../src/vendors/feishu/long-connection.js'

const source = resolveSource({
  id: 'hq',
  vendor: 'feishu',
  appId: 'cli_a1b2c3d4e5f60718',
  appSecret: 's',
  events: { mode: 'long-connection' },
}) as FeishuSourceConfig

/** A user_task.updated_v1 delivery as the SDK's dispatcher passes it: header and event in one object. */
const delivery = (fields: Record<string, unknown>) => ({
  schema: '2.0',
  event_id: 'e-1',
  create_time: '1715050000000',
  token: '',
  app_id: source.appId,
  tenant_key: 'tenant',
  employee_id: 'u1',
  employee_no: 'u1',
  date: 20240507,
  ...fields,
})

t.test("an event of the source's app is applied with its day", async (t) => {
  t.same(connectionEvent(source, FEISHU_TASK_UPDATED, delivery({})), {
    source: 'hq',
    eventId: 'e-1',
    type: FEISHU_TASK_UPDATED,
    days: [{ userId: 'u1', workDate: '2024-05-07' }],
  })
})

t.test('an event of another app changes nothing', async (t) => {
  t.same(connectionEvent(source, FEISHU_TASK_UPDATED, delivery({ app_id: 'cli_0000000000000000' })), {
    ignored: 'vendor event for another app',
  })
  t.same(connectionEvent(source, FEISHU_TASK_UPDATED, delivery({ app_id: undefined })), {
    ignored: 'vendor event for another app',
  })
})

t.test('an event without an id changes nothing', async (t) => {
  t.same(connectionEvent(source, FEISHU_TASK_UPDATED, delivery({ event_id: '' })), {
    ignored: 'vendor event without an event_id',
  })
})
