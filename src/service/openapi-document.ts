import { loadConfig } from '../config/config.js'
import { createLogger } from '../platform/logging/logger.js'
import { SecretRedactor } from '../platform/logging/secret-redactor.js'
import { buildApp } from './app.js'

/** The OpenAPI document as the app serves it at /docs/json (built in demo mode, with no Redis). */
export async function openApiDocument(): Promise<unknown> {
  const redactor = new SecretRedactor()
  const config = loadConfig({ LOG_LEVEL: 'silent' })
  const app = await buildApp({ config, redactor, logger: createLogger({ level: 'silent', redactor }) })
  try {
    await app.ready()
    return app.swagger()
  } finally {
    await app.close()
  }
}
