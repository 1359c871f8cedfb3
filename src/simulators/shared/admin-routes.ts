// The `/__sim/` endpoints: a test or benchmark reads and resets the counters, revokes tokens, changes
// faults and changes one user's day over HTTP. They are outside the vendor routes, so they are never
// counted, limited or faulted.
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Counters } from './counters.js'
import { SimulatorDayError } from './day-overrides.js'
import { SimulatorOptionsError } from './options.js'

export interface AdminControls {
  counters(): Counters
  resetCounters(): void
  revokeAllTokens(): number
  /** Throws SimulatorOptionsError for a bad patch. */
  configure(patch: unknown): void
  config(): Record<string, unknown>
  /** Overrides one user's day; returns the day as now served. Throws SimulatorDayError. */
  setDay(userId: string, workDate: string, override: unknown): Record<string, unknown>
  /** Restores the generated day; false when it was not overridden. Throws SimulatorDayError. */
  resetDay(userId: string, workDate: string): boolean
  /** Restores every generated day; returns how many were overridden. */
  resetDays(): number
}

interface DayParams {
  userId: string
  workDate: string
}

/** Bad input from the caller: HTTP 400 with the error's name and message; anything else is a bug. */
function refuseBadInput(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof SimulatorOptionsError || error instanceof SimulatorDayError)
    return reply.code(400).send({ error: error.name, message: error.message })
  throw error
}

export async function adminRoutes(scope: FastifyInstance, controls: AdminControls): Promise<void> {
  // `curl -X POST -H 'content-type: application/json'` with no body is a fine way to call these.
  scope.removeContentTypeParser('application/json')
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined)
    try {
      done(null, JSON.parse(body as string))
    } catch {
      done(Object.assign(new Error('body is not JSON'), { statusCode: 400 }), undefined)
    }
  })

  scope.get('/counters', async () => controls.counters())

  scope.post('/counters/reset', async () => {
    controls.resetCounters()
    return controls.counters()
  })

  scope.post('/tokens/revoke', async () => ({ revoked: controls.revokeAllTokens() }))

  scope.get('/config', async () => controls.config())

  scope.patch('/config', async (request, reply) => {
    try {
      controls.configure(request.body ?? {})
    } catch (error) {
      return refuseBadInput(reply, error)
    }
    return controls.config()
  })

  scope.put<{ Params: DayParams }>('/days/:userId/:workDate', async (request, reply) => {
    const { userId, workDate } = request.params
    try {
      return { userId, workDate, ...controls.setDay(userId, workDate, request.body) }
    } catch (error) {
      return refuseBadInput(reply, error)
    }
  })

  scope.delete<{ Params: DayParams }>('/days/:userId/:workDate', async (request, reply) => {
    const { userId, workDate } = request.params
    try {
      return { userId, workDate, restored: controls.resetDay(userId, workDate) }
    } catch (error) {
      return refuseBadInput(reply, error)
    }
  })

  scope.delete('/days', async () => ({ restored: controls.resetDays() }))
}
