// `npm run simulators`: both simulators on loopback, for demo mode and for trying the service by hand.
// SIMULATORS_HOST=0.0.0.0 makes them reachable from other hosts (the compose demo runs them in a container).
import {
  type DingTalkSimulator,
  type FeishuSimulator,
  startDingTalkSimulator,
  startFeishuSimulator,
} from './index.js'

function portFromEnv(name: string, fallback: number): number {
  const text = process.env[name]
  if (text === undefined || text === '') return fallback
  const port = Number(text)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`${name} must be a port number (0..65535), got ${JSON.stringify(text)}`)
    process.exit(1)
  }
  return port
}

function describe(
  name: string,
  url: string,
  credentials: Record<string, string>,
  endpoints: string[],
): string {
  return [
    `${name} simulator listening on ${url}`,
    ...Object.entries(credentials).map(([key, value]) => `  ${key}: ${value}`),
    ...endpoints.map((endpoint) => `  ${endpoint}`),
    `  admin: GET ${url}/__sim/counters, POST ${url}/__sim/counters/reset, POST ${url}/__sim/tokens/revoke, GET|PATCH ${url}/__sim/config, PUT|DELETE ${url}/__sim/days/{userId}/{workDate}, DELETE ${url}/__sim/days`,
  ].join('\n')
}

const host = process.env.SIMULATORS_HOST?.trim() || '127.0.0.1'
const started: Array<FeishuSimulator | DingTalkSimulator> = []
try {
  const feishu = await startFeishuSimulator({ host, port: portFromEnv('FEISHU_SIM_PORT', 4101) })
  started.push(feishu)
  const dingtalk = await startDingTalkSimulator({ host, port: portFromEnv('DINGTALK_SIM_PORT', 4102) })
  started.push(dingtalk)
  console.log(
    describe(
      'Feishu',
      feishu.url,
      { app_id: feishu.credentials.appId, app_secret: feishu.credentials.appSecret },
      [
        'POST /open-apis/auth/v3/tenant_access_token/internal',
        'POST /open-apis/attendance/v1/user_tasks/query',
      ],
    ),
  )
  console.log(
    describe(
      'DingTalk',
      dingtalk.url,
      { appkey: dingtalk.credentials.appKey, appsecret: dingtalk.credentials.appSecret },
      ['GET /gettoken?appkey=…&appsecret=…', 'POST /attendance/list?access_token=…'],
    ),
  )
} catch (error) {
  console.error(`could not start the simulators: ${error instanceof Error ? error.message : String(error)}`)
  await Promise.all(started.map((simulator) => simulator.close()))
  process.exit(1)
}

let stopping = false
const stop = async (signal: string) => {
  if (stopping) return
  stopping = true
  console.log(`${signal}: closing the simulators`)
  await Promise.all(started.map((simulator) => simulator.close()))
  process.exit(0)
}
process.once('SIGINT', () => void stop('SIGINT'))
process.once('SIGTERM', () => void stop('SIGTERM'))
