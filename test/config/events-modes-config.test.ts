// The connection modes are accepted at start-up: a Feishu long connection for a custom app's id (the SDK
// silently connects no other), a DingTalk stream with nothing more than the app's credentials.
import t from 'tap'
import { eventsProblem, resolveSource } from '../../src/config/source-config.js'

const feishu = (appId: string) =>
  resolveSource({
    id: 'feishu',
    vendor: 'feishu',
    appId,
    appSecret: 's',
    events: { mode: 'long-connection' },
  })

t.test('Feishu long-connection needs a custom app id', async (t) => {
  t.equal(eventsProblem(feishu('cli_a1b2c3d4e5f60718')), undefined)
  t.match(eventsProblem(feishu('cli_simulator')), /custom app/)
})

t.test('DingTalk stream needs neither token nor aesKey', async (t) => {
  const source = resolveSource({
    id: 'dingtalk',
    vendor: 'dingtalk',
    appKey: 'k',
    appSecret: 's',
    events: { mode: 'stream' },
  })
  t.equal(eventsProblem(source), undefined)
})
