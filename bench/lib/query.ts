// One POST /attendance/results, read as it arrives: time to the first byte (does the answer stream?), time
// to the last, size, and either the parsed answer or, for answers too big to parse here, the day count
// and the summary after the results.
import http from 'node:http'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'

export interface QueryBody {
  from: string
  to: string
  users: string[]
  strict?: boolean
}

export interface Answer {
  status: number
  firstByteMs: number
  /** When the first day arrived (NaN when none did, or when parsing whole). */
  firstDayMs: number
  totalMs: number
  bytes: number
  /** Entries in `results`. */
  days: number
  complete: boolean
  sources: AttendanceResponse['sources']
  /** Only when asked to parse. */
  parsed?: AttendanceResponse
}

const DAY_MARK = '"workDate":'
const TAIL_BYTES = 8 * 1024 * 1024

export function postQuery(baseUrl: string, body: QueryBody, options: { parse: boolean }): Promise<Answer> {
  const payload = JSON.stringify(body)
  const url = new URL('/attendance/results', baseUrl)
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const request = http.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        let firstByteMs = Number.NaN
        let firstDayMs = Number.NaN
        let bytes = 0
        let days = 0
        let carry = ''
        // The last chunks, at least TAIL_BYTES of them: joined once at the end.
        const tail: Buffer[] = []
        let tailBytes = 0
        const whole: Buffer[] = []
        response.on('data', (chunk: Buffer) => {
          if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - started
          bytes += chunk.length
          if (options.parse) {
            whole.push(chunk)
            return
          }
          const text = carry + chunk.toString('latin1')
          for (let at = text.indexOf(DAY_MARK); at >= 0; at = text.indexOf(DAY_MARK, at + 1)) days++
          if (days > 0 && Number.isNaN(firstDayMs)) firstDayMs = performance.now() - started
          carry = text.slice(-(DAY_MARK.length - 1))
          tail.push(chunk)
          tailBytes += chunk.length
          while (tail.length > 1 && tailBytes - (tail[0]?.length ?? 0) >= TAIL_BYTES) {
            tailBytes -= tail.shift()?.length ?? 0
          }
        })
        response.on('error', reject)
        response.on('end', () => {
          const totalMs = performance.now() - started
          const status = response.statusCode ?? 0
          try {
            if (options.parse) {
              const parsed = JSON.parse(Buffer.concat(whole).toString('utf8')) as AttendanceResponse
              resolve({
                status,
                firstByteMs,
                firstDayMs,
                totalMs,
                bytes,
                days: parsed.results?.length ?? 0,
                complete: parsed.complete,
                sources: parsed.sources,
                parsed,
              })
              return
            }
            const summary = summaryFromTail(Buffer.concat(tail).toString('utf8'))
            resolve({ status, firstByteMs, firstDayMs, totalMs, bytes, days, ...summary })
          } catch (error) {
            reject(new Error(`status ${status}: the answer could not be read (${String(error)})`))
          }
        })
      },
    )
    request.on('error', reject)
    request.end(payload)
  })
}

/** `complete` and `sources` from the end of an answer, whichever key order it has. */
function summaryFromTail(tail: string): Pick<Answer, 'complete' | 'sources'> {
  const streamed = tail.lastIndexOf('],"complete":')
  if (streamed >= 0) {
    const rest = JSON.parse(`{${tail.slice(streamed + 2)}`) as Pick<Answer, 'complete' | 'sources'>
    return { complete: rest.complete, sources: rest.sources }
  }
  // Schema order (a whole answer): complete comes before results, sources after them.
  const sources = tail.lastIndexOf('],"sources":')
  if (sources < 0) throw new Error('no sources at the end of the answer')
  const rest = JSON.parse(`{${tail.slice(sources + 2)}`) as Pick<Answer, 'sources'>
  const complete = rest.sources.every(
    (report) =>
      report.status === 'ok' && report.invalidUserIds.length === 0 && report.unauthorizedUserIds.length === 0,
  )
  return { complete, sources: rest.sources }
}

/**
 * One small query (one user per vendor, one day) before the measured one, so that a fresh process's
 * one-time work (JIT, compiling the serializers, fetching the vendor tokens) is not counted as the
 * query's; then a pause so that its calls leave every sliding second the measured query will fill.
 */
export async function warmUp(baseUrl: string): Promise<void> {
  const ask = () =>
    postQuery(
      baseUrl,
      { from: '2024-05-06', to: '2024-05-06', users: ['feishu:warmup', 'dingtalk:warmup'] },
      { parse: true },
    )
  let answer = await ask()
  // A process that has just started on a busy machine can shed its first query (503 ATT_OVERLOADED, its
  // event loop held up by the start); a client retries that after a pause, and so does the warm-up, once.
  if (answer.status === 503) {
    await new Promise((resolve) => setTimeout(resolve, 2000))
    answer = await ask()
  }
  if (answer.status !== 200 || !answer.complete)
    throw new Error(`the warm-up query failed (${answer.status})`)
  await new Promise((resolve) => setTimeout(resolve, 1100))
}
