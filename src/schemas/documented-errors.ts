// What the OpenAPI document says of error answers comes from the error catalogue (error-catalogue.ts),
// not from each route: every error response gets the codes its status may carry as an `enum` on `code`,
// every operation gets its 405 (the answer to a method its path does not take, with `Allow`), and the API's
// description ends with the whole table, including the codes no operation answers (a path the service
// does not serve, a request that is not HTTP). A route cannot document a status the catalogue has no code
// for: the document is not built.
import { STATUS_CODES } from 'node:http'
import { type CataloguedError, ERROR_CATALOGUE, operationCodes } from '../errors/catalogue.js'
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
  info?: { description?: string }
  paths?: Record<string, Record<string, Operation>>
}

const ERROR_TITLE = (ErrorResponse as unknown as JsonSchema).title
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

/** The document with the catalogue's codes on every error response, a 405 on every operation, the table. */
export function withErrorCodes<D>(served: D): D {
  const document = structuredClone(served) as Document
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    const operations = Object.entries(item).filter(([method]) => METHODS.includes(method))
    const allow = allowedMethods(operations.map(([method]) => method))
    for (const [method, operation] of operations) {
      operation.responses ??= {}
      operation.responses['405'] ??= methodNotAllowed(path, allow)
      for (const [status, response] of Object.entries(operation.responses)) {
        const where = `${method.toUpperCase()} ${path} ${status}`
        for (const media of Object.values(response.content ?? {})) {
          if (media.schema && media.schema.title === ERROR_TITLE) {
            media.schema = withCodes(media.schema, status, where)
          }
        }
      }
    }
  }
  if (document.info) {
    document.info.description = `${document.info.description ?? ''}\n\n${ERROR_CODES_SECTION}`.trim()
  }
  return document as D
}

/**
 * The error schema with `code` limited to what its status may carry, and the fields' examples those of
 * this status (ErrorResponse's own are a 400's: a validator checks an example against its enum).
 */
function withCodes(schema: JsonSchema, status: string, where: string): JsonSchema {
  // `default` is the error handler's answer to what no route expects: a 500.
  const statusCode = status === 'default' ? 500 : Number(status)
  const codes = operationCodes(statusCode)
  if (codes.length === 0) throw new Error(`${where}: no code of the error catalogue has this status`)
  const { statusCode: number = {}, code = {}, error = {}, message = {}, ...others } = schema.properties ?? {}
  const { examples: _400, ...messageWithoutExample } = message
  return {
    ...schema,
    properties: {
      statusCode: { ...number, examples: [statusCode] },
      code: { ...code, enum: codes, examples: listedOr(code.examples, codes) },
      error: { ...error, examples: [STATUS_CODES[statusCode]] },
      message: statusCode === 400 ? message : messageWithoutExample,
      ...others,
    },
  }
}

/** The examples when every one is listed, else the first listed code. */
function listedOr(examples: unknown, codes: string[]): unknown[] {
  const given = Array.isArray(examples) ? examples : []
  return given.length > 0 && given.every((example) => codes.includes(example)) ? given : [codes[0]]
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
  return {
    description,
    headers: {
      Allow: { description: 'The methods this path takes.', schema: { type: 'string', examples: [allow] } },
    },
    content: {
      'application/json': {
        schema: {
          ...(JSON.parse(JSON.stringify(ErrorResponse)) as JsonSchema),
          description,
          examples: [example],
        },
      },
    },
  }
}

/** One row of the error table, as the README and the document show it. */
export function errorTableRow(entry: CataloguedError): string {
  return `| \`${entry.code}\` | ${entry.status} | ${entry.meaning} |`
}

export const ERROR_TABLE_HEADER = ['| code | status | meaning |', '|---|---|---|']

const ERROR_CODES_SECTION = [
  '## Error codes',
  '',
  'Every error answer is `{statusCode, code, error, message}`. `code` is one of these, with this status:',
  '',
  ...ERROR_TABLE_HEADER,
  ...ERROR_CATALOGUE.map(errorTableRow),
].join('\n')
