// The one place a simulator listens. Vendor routes get the raw body as a string, because each vendor
// validates its own body and answers malformed JSON in its own format; admin routes live under /__sim/.
import Fastify, { type FastifyInstance } from 'fastify'
import { type AdminControls, adminRoutes } from './admin-routes.js'
import type { SimulatorRuntime } from './runtime.js'

export interface ListeningSimulator {
  url: string
  port: number
  close(): Promise<void>
}

export async function listenSimulator(
  options: { host: string; port: number },
  runtime: SimulatorRuntime,
  vendorRoutes: (scope: FastifyInstance) => void,
  admin: AdminControls,
): Promise<ListeningSimulator> {
  // forceCloseConnections: close() must not wait for keep-alive sockets or for calls left hanging.
  const app = Fastify({ logger: false, forceCloseConnections: true })
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body))
    vendorRoutes(scope)
  })
  await app.register((scope) => adminRoutes(scope, admin), { prefix: '/__sim' })
  await app.listen({ host: options.host, port: options.port })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('simulator is not listening on TCP')
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closed: Promise<void> | undefined
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () => {
      closed ??= (async () => {
        runtime.close()
        await app.close()
      })()
      return closed
    },
  }
}
