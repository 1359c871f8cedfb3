// The only file that listens. Reads config, builds the app, and closes it gracefully on SIGTERM/SIGINT:
// stop accepting, let in-flight queries finish, close Redis. A second signal forces the exit. With no
// source configured it starts the embedded simulators first and serves them (demo mode).
import closeWithGrace from 'close-with-grace'
import { ConfigError, loadConfig } from '../config/config.js'
import { buildApp } from './app.js'
import { startDemoSources } from './demo-sources.js'

let config: ReturnType<typeof loadConfig>
try {
  config = loadConfig()
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`configuration error: ${error.message}`)
    process.exit(1)
  }
  throw error
}

const demo = config.sources.length === 0 ? await startDemoSources() : undefined
let app: Awaited<ReturnType<typeof buildApp>>
try {
  app = await buildApp({
    config: demo ? { ...config, sources: demo.sources } : config,
    demoMode: demo !== undefined,
  })
} catch (error) {
  // What can only be checked against the sources in use (PEOPLE_FILE in demo mode) fails here.
  if (error instanceof ConfigError) {
    console.error(`configuration error: ${error.message}`)
    await demo?.close()
    process.exit(1)
  }
  throw error
}

// SIGHUP rereads PEOPLE_FILE; a file that does not check out is refused and the people in use stay.
process.on('SIGHUP', () => {
  if (!config.peopleFile) return
  try {
    app.log.info({ people: app.people.reload() }, 'PEOPLE_FILE reloaded')
  } catch (error) {
    app.log.error({ reason: (error as Error).message }, 'PEOPLE_FILE not reloaded: keeping the people in use')
  }
})

// close-with-grace closes on SIGHUP too by default: with a PEOPLE_FILE, SIGHUP only rereads it.
const skip: closeWithGrace.Signals[] = config.peopleFile ? ['SIGHUP'] : []
closeWithGrace({ delay: config.queryTimeoutMs + 5000, skip }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'closing after an uncaught error')
  else app.log.info({ signal }, 'closing: finishing in-flight requests')
  // app.close() stops accepting and waits for every connection to end. A keep-alive connection whose
  // request finishes meanwhile would stay open until its client drops it (Fastify's keepAliveTimeout is
  // 72 s) and hold the exit back, so each one is closed as soon as it has no request in flight.
  const closeIdle = setInterval(() => app.server.closeIdleConnections(), 100)
  try {
    await app.close()
  } finally {
    clearInterval(closeIdle)
    await demo?.close()
  }
})

await app.listen({ port: config.port, host: config.host })
const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
const port = (app.server.address() as { port: number }).port
if (app.demoMode) {
  app.log.info(
    `demo mode: no vendor configured, serving sources "feishu" and "dingtalk" from the embedded simulators; Swagger UI at http://${shownHost}:${port}/docs`,
  )
} else {
  app.log.info(
    `serving ${app.config.sources.length} source(s); Swagger UI at http://${shownHost}:${port}/docs`,
  )
}
