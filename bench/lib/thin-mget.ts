// The cache-read scenario's baseline: the least a server must do to answer a fully cached query. A minimal
// Fastify app, in a process of its own as the service is, with one POST /attendance/results that takes the
// service's body, reads the query's entries with ONE MGET (ioredis, the client the service uses; the keys
// the service reads, listed in advance) and sends the answer the service sent for that query, captured
// once: the same bytes, as application/json. It checks that every entry came back (a 500 otherwise) but
// decodes none of them: no validation schema, no key building, no decoding, no serialization.
//
// Self-contained (packages only), so that the same node runs it with its built-in type stripping and no
// loader: `PORT=… REDIS_URL=… THIN_MGET_FILE=… node bench/lib/thin-mget.ts`, the file a JSON
// `{ "<source>": { "keys": [...], "bodyFile": "…" } }`, the source taken from the first user of the body.
// LOG_LEVEL as the service's, and as many lines: one a request (the service's "request" line).
import { readFileSync } from 'node:fs'
import Fastify, { LogController } from 'fastify'
import { Redis } from 'ioredis'

interface Answer {
  keys: string[]
  body: Buffer
}

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

const spec = JSON.parse(readFileSync(env('THIN_MGET_FILE'), 'utf8')) as Record<
  string,
  { keys: string[]; bodyFile: string }
>
const answers = new Map<string, Answer>(
  Object.entries(spec).map(([source, { keys, bodyFile }]) => [
    source,
    { keys, body: readFileSync(bodyFile) },
  ]),
)
// As the service's store connection: commands fail fast rather than queue, a per-command deadline.
const redis = new Redis(env('REDIS_URL'), {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 1000,
})
redis.on('error', () => {})

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
app.get('/healthz', async (_request, reply) => reply.code(redis.status === 'ready' ? 200 : 503).send())
app.post('/attendance/results', async (request, reply) => {
  const [source = ''] = ((request.body as { users?: string[] }).users?.[0] ?? '').split(':')
  const answer = answers.get(source)
  if (!answer) return reply.code(400).send({ error: `no answer for source ${source}` })
  const values = await redis.mget(...answer.keys)
  if (values.some((value) => value === null)) return reply.code(500).send({ error: 'an entry is missing' })
  return reply.type('application/json; charset=utf-8').send(answer.body)
})

await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' })
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    app.close().then(() => {
      redis.disconnect()
      process.exit(0)
    })
  })
}
