// A vendor whose every answer the test writes, over real HTTP: for failure sequences the simulators do not
// model (a page that fails once, a hasMore that is not a boolean, a quota spent mid-query).
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

export interface ScriptedRequest {
  method: string
  path: string
  query: URLSearchParams
  body: Record<string, unknown>
}

export interface ScriptedAnswer {
  status?: number
  body: unknown
}

export type Script = (request: ScriptedRequest, sameBefore: number) => ScriptedAnswer

export async function startScriptedVendor(t: Test, script: Script) {
  const requests: ScriptedRequest[] = []
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const url = new URL(req.url ?? '/', 'http://localhost')
    const text = Buffer.concat(chunks).toString()
    const request: ScriptedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    }
    const sameBefore = requests.filter((r) => r.path === request.path && sameBody(r, request)).length
    requests.push(request)
    const answer = script(request, sameBefore)
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(answer.body))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    calls: (path: string) => requests.filter((request) => request.path === path),
  }
}

function sameBody(a: ScriptedRequest, b: ScriptedRequest): boolean {
  return JSON.stringify(a.body) === JSON.stringify(b.body)
}

/** A DingTalk gettoken answer that always succeeds. */
export const dingTalkToken = (): ScriptedAnswer => ({
  body: { errcode: 0, errmsg: 'ok', access_token: 'scripted-token-0001', expires_in: 7200 },
})

/** One attendance/list row of a user on a Shanghai work day. */
export function dingTalkRow(userId: string, workDate: string, id: number) {
  const midnight = Date.parse(`${workDate}T00:00:00+08:00`)
  return {
    id,
    userId,
    workDate: midnight,
    checkType: id % 2 === 0 ? 'OnDuty' : 'OffDuty',
    timeResult: 'Normal',
    locationResult: 'Normal',
    baseCheckTime: midnight + (id % 2 === 0 ? 9 : 18) * 3_600_000,
    userCheckTime: midnight + (id % 2 === 0 ? 9 : 18) * 3_600_000,
    recordId: id,
    groupId: 1,
    sourceType: 'USER',
  }
}
