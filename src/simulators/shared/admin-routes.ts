// The `/__sim/` endpoints: a test or benchmark reads and resets the counters, revokes tokens and changes
// faults over HTTP. They are outside the vendor routes, so they are never counted, limited or faulted.
import type { FastifyInstance } from 'fastify'
import type { Counters } from './counters.js'
import { SimulatorOptionsError } from './options.js'

export interface AdminControls {
  counters(): Counters
  resetCounters(): void
  revokeAllTokens(): number
  /** Throws SimulatorOptionsError for a bad patch. */
  configure(patch: unknown): void
  config(): Record<string, unknown>
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
      if (error instanceof SimulatorOptionsError)
        return reply.code(400).send({ error: 'SimulatorOptionsError', message: error.message })
      throw error
    }
    return controls.config()
  })
}
