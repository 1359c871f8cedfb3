// Drives the simulators over HTTP the way a vendor client would. Not a test file (tap includes only
// *.test.ts; run on its own, tap finds no tests in it).
import type { Test } from 'tap'
import {
  type DingTalkSimulator,
  type DingTalkSimulatorOptions,
  type FeishuSimulator,
  type FeishuSimulatorOptions,
  startDingTalkSimulator,
  startFeishuSimulator,
} from '../../src/simulators/index.js'

export interface Answer<T = Record<string, unknown>> {
  status: number
  headers: Headers
  body: T
  /** Wall-clock ms from sending to the whole body. */
  ms: number
}

/**
 * Every counter at zero, spelled out rather than imported from src so that a test notices a counter the
 * simulators add, drop or rename.
 */
export const ZERO_COUNTERS = {
  tokenCalls: 0,
  dataCalls: 0,
  refusedRateLimit: 0,
  refusedBadParams: 0,
  refusedBadToken: 0,
  refusedBadCredentials: 0,
  injectedErrors: 0,
  injectedHangs: 0,
  injectedMalformed: 0,
  injectedHtmlErrors: 0,
  peakPerSecond: 0,
  peakConcurrency: 0,
  rowsServed: 0,
  quotaUsed: 0,
  quotaRefusals: 0,
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function call<T>(url: string, init: RequestInit): Promise<Answer<T>> {
  const started = performance.now()
  const response = await fetch(url, init)
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    body: JSON.parse(text) as T,
    ms: performance.now() - started,
  }
}

export async function startFeishu(
  t: Test,
  options: Partial<FeishuSimulatorOptions> = {},
): Promise<FeishuSimulator> {
  const simulator = await startFeishuSimulator(options)
  t.teardown(() => simulator.close())
  return simulator
}

export async function startDingTalk(
  t: Test,
  options: Partial<DingTalkSimulatorOptions> = {},
): Promise<DingTalkSimulator> {
  const simulator = await startDingTalkSimulator(options)
  t.teardown(() => simulator.close())
  return simulator
}

// biome-ignore lint/suspicious/noExplicitAny: vendor answers are checked value by value in the tests
type Json = any

/** Calls an admin endpoint (`/__sim/…`), with a JSON body when one is given. */
export async function admin(
  url: string,
  method: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, {
    method,
    ...(body !== undefined && {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  })
  return { status: response.status, body: await response.json() }
}

export function feishuTokenCall(
  simulator: FeishuSimulator,
  body: unknown = undefined,
): Promise<Answer<Json>> {
  return call(`${simulator.url}/open-apis/auth/v3/tenant_access_token/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(
      body ?? { app_id: simulator.credentials.appId, app_secret: simulator.credentials.appSecret },
    ),
  })
}

export async function feishuToken(simulator: FeishuSimulator): Promise<string> {
  const answer = await feishuTokenCall(simulator)
  if (answer.body.code !== 0) throw new Error(`no Feishu token: ${JSON.stringify(answer.body)}`)
  return answer.body.tenant_access_token
}

export interface FeishuQueryCall {
  token?: string | null
  authorization?: string
  query?: string
  body?: unknown
  rawBody?: string
  contentType?: string | null
  signal?: AbortSignal
}

export function feishuQuery(simulator: FeishuSimulator, call_: FeishuQueryCall): Promise<Answer<Json>> {
  const headers: Record<string, string> = {}
  if (call_.contentType !== null)
    headers['content-type'] = call_.contentType ?? 'application/json; charset=utf-8'
  if (call_.authorization !== undefined) headers.authorization = call_.authorization
  else if (call_.token) headers.authorization = `Bearer ${call_.token}`
  return call(
    `${simulator.url}/open-apis/attendance/v1/user_tasks/query?${call_.query ?? 'employee_type=employee_id'}`,
    {
      method: 'POST',
      headers,
      body: call_.rawBody ?? JSON.stringify(call_.body ?? {}),
      ...(call_.signal && { signal: call_.signal }),
    },
  )
}

export function dingTalkTokenCall(
  simulator: DingTalkSimulator,
  appKey = simulator.credentials.appKey,
  appSecret = simulator.credentials.appSecret,
): Promise<Answer<Json>> {
  const query = new URLSearchParams({ appkey: appKey, appsecret: appSecret })
  return call(`${simulator.url}/gettoken?${query}`, { method: 'GET' })
}

export async function dingTalkToken(simulator: DingTalkSimulator): Promise<string> {
  const answer = await dingTalkTokenCall(simulator)
  if (answer.body.errcode !== 0) throw new Error(`no DingTalk token: ${JSON.stringify(answer.body)}`)
  return answer.body.access_token
}

export interface DingTalkListCall {
  token?: string | null
  body?: unknown
  rawBody?: string
  contentType?: string | null
  signal?: AbortSignal
}

export function dingTalkList(simulator: DingTalkSimulator, call_: DingTalkListCall): Promise<Answer<Json>> {
  const headers: Record<string, string> = {}
  if (call_.contentType !== null) headers['content-type'] = call_.contentType ?? 'application/json'
  const query = call_.token ? `?access_token=${encodeURIComponent(call_.token)}` : ''
  return call(`${simulator.url}/attendance/list${query}`, {
    method: 'POST',
    headers,
    body: call_.rawBody ?? JSON.stringify(call_.body ?? {}),
    ...(call_.signal && { signal: call_.signal }),
  })
}

/** A valid attendance/list body for the week of 2024-05-06 (Monday) to 2024-05-12 (Sunday). */
export function dingTalkWeek(userIdList: string[], offset = 0, limit = 50) {
  return { workDateFrom: '2024-05-06 00:00:00', workDateTo: '2024-05-12 00:00:00', userIdList, offset, limit }
}

export const users = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => `${prefix}${String(index + 1).padStart(2, '0')}`)
