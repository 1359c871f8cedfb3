// How a service process fared while a query ran, from its own account: its Prometheus metrics (summed
// over labels) and the lines its log writes when the shared store's circuit breaker opens and closes.
import { readFileSync } from 'node:fs'

/** Every metric of GET /metrics, summed over its label sets. Scraping resets the event-loop lag figures. */
export async function scrapeMetrics(serviceUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text()
  const sums = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0]
    const value = Number(line.slice(line.lastIndexOf(' ') + 1))
    if (name && Number.isFinite(value)) sums.set(name, (sums.get(name) ?? 0) + value)
  }
  return sums
}

/** The longest event-loop stall since the last scrape, ms (prom-client's monitorEventLoopDelay maximum). */
export async function eventLoopLagMaxMs(serviceUrl: string): Promise<number> {
  return ((await scrapeMetrics(serviceUrl)).get('nodejs_eventloop_lag_max_seconds') ?? Number.NaN) * 1000
}

interface LogLine {
  msg?: string
  time?: number
}

/**
 * Times the service took the shared store for away (a command past its timeout opens the breaker: store
 * operations then go to process memory, rate limits are divided by EXPECTED_REPLICAS) since `since`.
 */
export function storeOutages(logPath: string, since: number): { count: number; totalMs: number } {
  let count = 0
  let totalMs = 0
  let openedAt: number | undefined
  let lastTime = since
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (!line.includes('shared store')) continue
    const entry = JSON.parse(line) as LogLine
    if (entry.time === undefined || entry.time < since) continue
    lastTime = entry.time
    if (entry.msg?.includes('is not answering')) {
      count++
      openedAt = entry.time
    } else if (entry.msg?.includes('is back') && openedAt !== undefined) {
      totalMs += entry.time - openedAt
      openedAt = undefined
    }
  }
  if (openedAt !== undefined) totalMs += Math.max(0, Date.now() - openedAt, lastTime - openedAt)
  return { count, totalMs }
}
