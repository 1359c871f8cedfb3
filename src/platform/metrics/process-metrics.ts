// Node's process metrics (CPU, memory, event-loop lag, GC, handles). They describe the process, not an
// app, and collecting them starts a GC observer and an event-loop monitor that are never stopped: so one
// Registry per process, filled once, whatever number of apps a process builds (tests build many).
import { collectDefaultMetrics, Registry } from 'prom-client'

let processRegistry: Registry | undefined

export function processMetricsRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}
