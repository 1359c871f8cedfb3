// A scripted stand-in for the service's export routes, for what the real one cannot be made to do on
// demand: a file whose bytes do not match its sha256, a job that fails, a poll answered 503, a job that
// runs until the CLI is interrupted, a service that refuses the first requests (429, 503). It records
// every request so that tests can check what was sent.
import { createHash } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import type { ExportJob } from '../../src/schemas/export.js'

export interface Recorded {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: unknown
}

export interface ErrorAnswer {
  statusCode: number
  code: string
  message: string
  /** Sent as Retry-After, in seconds. */
  retryAfter?: number
}

export interface FakeScript {
  /** The first requests, whatever they ask for, get these refusals in turn (429, 503 with Retry-After…). */
  refusals?: ErrorAnswer[] /** Answers POST /attendance/exports with this error instead of a job. */
  refuseSubmit?: ErrorAnswer
  /** What each GET of the job answers, in turn; the last one repeats. */
  polls: (Partial<ExportJob> | ErrorAnswer)[]
  /** The file's bytes (default: a small CSV). */
  file?: Buffer
  /** The sha256 the finished job announces; default: the file's own. */
  announcedSha256?: string
  /** Send the file's first half, then nothing more: a download still under way. */
  holdFile?: boolean
  /** What the first DELETEs answer, in turn; the ones after them cancel the job. */
  cancels?: ErrorAnswer[]
}

export const JOB_ID = '3f2a9c1b-5d7e-4f60-9a1b-2c3d4e5f6a7b'

const isError = (answer: Partial<ExportJob> | ErrorAnswer): answer is ErrorAnswer => 'statusCode' in answer

export function job(patch: Partial<ExportJob>): ExportJob {
  return {
    id: JOB_ID,
    status: 'queued',
    format: 'csv',
    report: 'days',
    from: '2024-05-01',
    to: '2024-05-02',
    userCount: 1,
    createdAt: '2024-06-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    progress: { plannedCalls: 4, vendorCalls: 0, days: 0, percent: 0 },
    etaSeconds: null,
    complete: null,
    sources: [],
    file: null,
    error: null,
    ...patch,
  }
}

export async function startFakeService(t: Test, script: FakeScript) {
  const requests: Recorded[] = []
  const file = script.file ?? Buffer.from('source,userId,workDate\nfeishu,u1,2024-05-01\n')
  const sha256 = script.announcedSha256 ?? createHash('sha256').update(file).digest('hex')
  let poll = 0
  const server = createServer(async (request, response) => {
    let text = ''
    for await (const chunk of request) text += chunk
    const method = request.method ?? 'GET'
    const url = request.url ?? '/'
    requests.push({ method, url, headers: request.headers, body: text ? JSON.parse(text) : undefined })
    const send = (statusCode: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(statusCode, { 'content-type': 'application/json', ...headers })
      response.end(JSON.stringify(body))
    }
    const refuse = ({ retryAfter, ...error }: ErrorAnswer) =>
      send(
        error.statusCode,
        { ...error, error: 'Refused' },
        retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
      )
    const path = `/attendance/exports/${JOB_ID}`
    const refusal = script.refusals?.shift()
    if (refusal) return refuse(refusal)
    if (method === 'POST' && url === '/attendance/exports') {
      if (script.refuseSubmit) return refuse(script.refuseSubmit)
      return send(202, job({}), { location: path })
    }
    if (method === 'GET' && url === path) {
      const answer = script.polls[Math.min(poll++, script.polls.length - 1)] ?? {}
      if (isError(answer)) return refuse(answer)
      const finished = answer.status === 'succeeded'
      const fileInfo = {
        name: 'export.csv',
        bytes: file.length,
        sha256,
        expiresAt: '2024-06-02T00:00:00.000Z',
      }
      return send(200, job({ ...(finished ? { file: fileInfo } : {}), ...answer }))
    }
    if (method === 'GET' && url === `${path}/file`) {
      response.writeHead(200, { 'content-type': 'text/csv', 'content-length': String(file.length) })
      if (script.holdFile) return response.write(file.subarray(0, file.length / 2))
      return response.end(file)
    }
    if (method === 'DELETE' && url === path) {
      const refusal = script.cancels?.shift()
      return refusal ? refuse(refusal) : send(202, job({ status: 'cancelled' }))
    }
    send(404, { statusCode: 404, code: 'FST_ERR_NOT_FOUND', error: 'Not Found', message: `${method} ${url}` })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, requests, file, sha256 }
}
