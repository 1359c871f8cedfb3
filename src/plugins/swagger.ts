import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { withErrorCodes } from '../schemas/documented-errors.js'
import { DOCS_CSP } from './security-headers.js'

export const OPENAPI_INFO = {
  title: 'Attendance aggregation service',
  version: '1.0.0',
  description: [
    'One API in front of Feishu (Lark) and DingTalk attendance results (打卡结果), answered in one normalized schema.',
    'The service hides the vendor limits (50 users a call, date windows, pagination, rate limits, token expiry):',
    'ask for any users and dates within `MAX_USERS` and `MAX_RANGE_DAYS`.',
  ].join(' '),
}

/** The OpenAPI document (generated from the route schemas) at /docs/json and Swagger UI at /docs. */
async function swaggerPlugin(fastify: FastifyInstance) {
  await fastify.register(swagger, {
    openapi: {
      // 3.1 because the schemas are JSON Schema 2020-12 (null types, `examples` arrays), which 3.0 is not.
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      tags: [
        { name: 'attendance', description: 'Attendance results from every configured source' },
        {
          name: 'exports',
          description:
            'Background export jobs: start one, watch its progress, download its file (CSV, XLSX, NDJSON or JSON)',
        },
        {
          name: 'events',
          description:
            "The vendors' event subscriptions (called by Feishu and DingTalk, not by you): no API key",
        },
        { name: 'operations', description: 'Health, readiness and configured sources' },
      ],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API key from API_KEYS or API_KEYS_FILE, sent as `Authorization: Bearer <key>`. Required on `/attendance/*` and `/sources` when keys are configured.',
          },
        },
      },
    },
    // The error codes of each status, the 405 of each operation and the table of codes: from the catalogue.
    transformObject: (document) => withErrorCodes('openapiObject' in document ? document.openapiObject : {}),
  })
  await fastify.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true, defaultModelsExpandDepth: 0 },
    staticCSP: DOCS_CSP,
  })
}

export default fp(swaggerPlugin, { name: 'swagger' })
