import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { withErrorCodes } from '../../../schemas/documented-errors.js'
import { ALWAYS_SENT, UNEXPECTED_ERROR_ANSWER } from '../../../schemas/responses.js'
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

/** Tag groups (Redocly's navigation): what a client calls, what the vendors call, what operators read. */
const TAG_GROUPS = {
  'x-tagGroups': [
    { name: 'Attendance data', tags: ['attendance', 'exports', 'changes', 'people'] },
    { name: 'Vendor callbacks', tags: ['events'] },
    { name: 'Operations', tags: ['operations'] },
  ],
}

/** The OpenAPI document (generated from the route schemas) at /docs/json and Swagger UI at /docs. */
async function swaggerPlugin(fastify: FastifyInstance) {
  await fastify.register(swagger, {
    openapi: {
      // 3.1 because the schemas are JSON Schema 2020-12 (null types, `examples` arrays), which 3.0 is not.
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      // The server that serves this document: paths are relative to where it was fetched (/docs/json).
      servers: [{ url: '/', description: 'This service (the host that served this document)' }],
      tags: [
        {
          name: 'attendance',
          description:
            'Attendance results and per-employee summaries from every configured source, and the plan (cost) of a query',
        },
        {
          name: 'exports',
          description:
            'Background export jobs: start one, watch its progress, download its file (CSV, XLSX, NDJSON or JSON)',
        },
        { name: 'changes', description: 'The change feed: the days that changed at a source since a cursor' },
        { name: 'people', description: 'People (PEOPLE_FILE) and their accounts at the sources' },
        {
          name: 'events',
          description:
            "The vendors' event subscriptions (called by Feishu and DingTalk, not by you): no API key",
        },
        { name: 'operations', description: 'Health, readiness and configured sources' },
      ],
      ...TAG_GROUPS,
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
    // The default answer and the headers always sent (finished), then from the catalogue the error codes of
    // each status, the 405 of each operation and the table of codes.
    transformObject: (document) =>
      'openapiObject' in document ? withErrorCodes(finished(document.openapiObject)) : document.swaggerObject,
  })
  await fastify.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true, defaultModelsExpandDepth: 0 },
    staticCSP: DOCS_CSP,
  })
}

/**
 * The document as generated, finished: a response header marked ALWAYS_SENT (schemas/responses.ts) gets
 * `required: true` (@fastify/swagger copies a header's schema as given, and `required` belongs to the
 * header object, beside it), and every operation gets the `default` answer of the error handler.
 */
function finished<T>(document: T): T {
  const paths = (
    document as { paths?: Record<string, Record<string, { responses?: Record<string, Answer> }>> }
  ).paths
  for (const operation of Object.values(paths ?? {}).flatMap((item) => Object.values(item))) {
    operation.responses = { ...operation.responses, default: structuredClone(UNEXPECTED_ERROR_ANSWER) }
    for (const answer of Object.values(operation.responses)) {
      for (const header of Object.values(answer.headers ?? {})) {
        if (header.schema?.[ALWAYS_SENT]) header.required = true
        delete header.schema?.[ALWAYS_SENT]
      }
    }
  }
  return document
}

interface Answer {
  headers?: Record<string, { required?: boolean; schema?: Record<string, unknown> }>
}

export default fp(swaggerPlugin, { name: 'swagger' })
