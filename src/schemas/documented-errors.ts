// What the OpenAPI document says of error answers that no route declares itself: every operation gets its
// 405, the answer to a method its path does not take (plugins/error-handler.ts), with `Allow`.
import { ErrorResponse } from './error.js'

interface JsonSchema {
  title?: string
  properties?: Record<string, Record<string, unknown>>
  [keyword: string]: unknown
}
interface DocumentedResponse {
  description?: string
  headers?: Record<string, unknown>
  content?: Record<string, { schema?: JsonSchema }>
}
interface Operation {
  responses?: Record<string, DocumentedResponse>
}
interface Document {
  paths?: Record<string, Record<string, Operation>>
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

/** The document with a 405 on every operation. */
export function withErrorCodes<D>(served: D): D {
  const document = structuredClone(served) as Document
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    const operations = Object.entries(item).filter(([method]) => METHODS.includes(method))
    const allow = allowedMethods(operations.map(([method]) => method))
    for (const [, operation] of operations) {
      operation.responses ??= {}
      operation.responses['405'] ??= methodNotAllowed(path, allow)
    }
  }
  return document as D
}

/** Allow as the service answers it: the path's methods, with HEAD wherever GET is (Fastify adds it). */
function allowedMethods(methods: string[]): string {
  const upper = methods.map((method) => method.toUpperCase())
  if (upper.includes('GET') && !upper.includes('HEAD')) upper.push('HEAD')
  return upper.sort().join(', ')
}

function methodNotAllowed(path: string, allow: string): DocumentedResponse {
  const method = allow.includes('PATCH') ? 'PUT' : 'PATCH'
  const example = {
    statusCode: 405,
    code: 'ATT_METHOD_NOT_ALLOWED',
    error: 'Method Not Allowed',
    message: `${method} is not allowed on ${path}; it takes ${allow}`,
  }
  const description =
    'The path is served, but not with this method (`ATT_METHOD_NOT_ALLOWED`); `Allow` lists the methods it takes.'
  const schema = JSON.parse(JSON.stringify(ErrorResponse)) as JsonSchema
  return {
    description,
    headers: {
      Allow: { description: 'The methods this path takes.', schema: { type: 'string', examples: [allow] } },
    },
    content: {
      'application/json': {
        schema: {
          ...schema,
          properties: { ...schema.properties, code: { ...schema.properties?.code, enum: [example.code] } },
          description,
          examples: [example],
        },
      },
    },
  }
}
