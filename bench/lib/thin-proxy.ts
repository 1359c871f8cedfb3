// The overhead scenario's baseline: the least a service in front of the vendors must do for a small query.
// A minimal Fastify app, in a process of its own as the service is, with one POST /attendance/results that
// takes the service's body ({from, to, users: ["feishu:o00001", …]}), makes the one vendor data call the
// service makes for it with a fixed valid token, through the client the service uses (got, keep-alive
// agent, retries off), and answers the vendor's JSON as it came. No validation schema, token store, rate
// limiter, normalization or answer schema: what is left is Fastify, got and the log.
//
// Self-contained (packages only), so that the same node runs it with its built-in type stripping and no
// loader: `PORT=… FEISHU_URL=… FEISHU_TOKEN=… DINGTALK_URL=… DINGTALK_TOKEN=… node bench/lib/thin-proxy.ts`.
// LOG_LEVEL as the service's, and as many lines: one a vendor call and one a request, as the service writes.
import http from 'node:http'
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify'
import { got } from 'got'

interface Query {
  from: string
  to: string
  users: string[]
}

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

// As the service's VendorHttp: one instance per vendor, maxSockets maxConcurrency × maxConcurrentQueries + 1.
const vendorClient = (prefixUrl: string) =>
  got.extend({
    prefixUrl,
    agent: { http: new http.Agent({ keepAlive: true, maxSockets: 41 }) },
    retry: { limit: 0 },
    throwHttpErrors: false,
    headers: { 'user-agent': 'thin-proxy/1.0', accept: 'application/json' },
  })

const feishu = vendorClient(env('FEISHU_URL'))
const dingtalk = vendorClient(env('DINGTALK_URL'))
const feishuToken = env('FEISHU_TOKEN')
const dingTalkToken = env('DINGTALK_TOKEN')

const compact = (date: string) => Number(date.replaceAll('-', ''))

/** The one data call the service makes for a small query of one vendor's users (≤ 50 users). */
async function vendorCall(query: Query, log: FastifyBaseLogger): Promise<unknown> {
  const started = performance.now()
  const response = await send(query)
  log.info(
    { status: response.statusCode, durationMs: Math.round(performance.now() - started) },
    'vendor call',
  )
  return response.body
}

function send(query: Query) {
  const [source] = (query.users[0] ?? '').split(':')
  const userIds = query.users.map((user) => user.slice(user.indexOf(':') + 1))
  if (source === 'feishu') {
    return feishu.post('open-apis/attendance/v1/user_tasks/query', {
      searchParams: {
        employee_type: 'employee_id',
        ignore_invalid_users: 'true',
        include_terminated_user: 'false',
      },
      headers: { authorization: `Bearer ${feishuToken}` },
      json: {
        user_ids: userIds,
        check_date_from: compact(query.from),
        check_date_to: compact(query.to),
        need_overtime_result: false,
      },
      responseType: 'json',
    })
  }
  return dingtalk.post('attendance/list', {
    searchParams: { access_token: dingTalkToken },
    json: {
      workDateFrom: `${query.from} 00:00:00`,
      workDateTo: `${query.to} 00:00:00`,
      userIdList: userIds,
      offset: 0,
      limit: 50,
    },
    responseType: 'json',
  })
}

const app = Fastify({
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
  logController: new LogController({ disableRequestLogging: true }),
})
app.addHook('onResponse', async (request, reply) => {
  request.log.info(
    {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
    },
    'request',
  )
})
app.get('/healthz', async () => ({ status: 'ok' }))
app.post('/attendance/results', async (request) => vendorCall(request.body as Query, request.log))

await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' })
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0))
  })
}
