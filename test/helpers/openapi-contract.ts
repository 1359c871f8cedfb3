// Holds one answer of the service against its OpenAPI document: the operation it answers, the status (or
// `default`), the media type of the body, the headers the document names and the body's schema. The test hook
// (openapi-hook.ts) runs it on every answer of every app the helpers build, so the document cannot drift
// from the server without a test failing. The schemas are JSON Schema 2020-12 (OpenAPI 3.1): Ajv's 2020
// dialect, each compiled once per process.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import formats from 'ajv-formats'

/** What a client received: status, headers (lower-case names), the body unless there is none to read. */
export interface SeenAnswer {
  method: string
  /** The request's path as sent (percent-encoded), without the query. */
  path: string
  status: number
  headers: Record<string, unknown>
  /** Undefined when no body is to be checked (the answer to HEAD). */
  body: Buffer | undefined
}

export type Verdict =
  /** `answers`: the (operation, status) pairs it is a valid answer of, as `operationId status`. */
  | { kind: 'validated'; answers: string[] }
  | { kind: 'outside'; reason: string }
  | { kind: 'mismatch'; operation: string; status: string; message: string }

interface MediaType {
  schema?: Record<string, unknown>
  /** OpenAPI 3.2's schema of each item of a sequential media type (an NDJSON line). */
  itemSchema?: Record<string, unknown>
}

interface Header {
  required?: boolean
  schema?: Record<string, unknown>
}

interface Response {
  headers?: Record<string, Header>
  content?: Record<string, MediaType>
}

interface Operation {
  operationId?: string
  responses: Record<string, Response>
}

type PathItem = Record<string, Operation | unknown>

export interface OpenApiDocument {
  paths: Record<string, PathItem>
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

/** Compiled schemas, by their text: one compilation per schema per process, whatever app served it. */
const compiled = new Map<string, ValidateFunction>()

const ajv = new Ajv2020({ strict: true, strictTypes: false, allErrors: false })
// ajv-formats is CommonJS: its function is the default export's `default` under NodeNext.
const addFormats = formats as unknown as { default: (ajv: Ajv2020) => void }
addFormats.default(ajv)
// OpenAPI's own keywords in a Schema Object, and its `binary` format (any bytes).
ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs'])
ajv.addFormat('binary', true)

function validatorOf(schema: Record<string, unknown>): ValidateFunction {
  const text = JSON.stringify(schema)
  let validate = compiled.get(text)
  if (!validate) {
    validate = ajv.compile(stripExtensions(schema) as Record<string, unknown>)
    compiled.set(text, validate)
  }
  return validate
}

/** `x-*` annotations are OpenAPI's, not JSON Schema's: Ajv's strict mode would refuse them. */
function stripExtensions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripExtensions)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith('x-'))
      .map(([key, inner]) => [key, stripExtensions(inner)]),
  )
}

/** Ajv's first error, as `body/results/0/workDate must match format "date"`. */
function firstError(where: string, errors: ErrorObject[] | null | undefined): string {
  const error = errors?.[0]
  if (!error) return `${where} is invalid`
  const params = error.params as Record<string, unknown>
  const detail =
    'allowedValues' in params
      ? ` ${JSON.stringify(params.allowedValues)}`
      : 'additionalProperty' in params
        ? ` (${String(params.additionalProperty)})`
        : ''
  return `${where}${error.instancePath} ${error.message}${detail}`
}

function mediaTypeOf(contentType: unknown): string | undefined {
  if (typeof contentType !== 'string') return undefined
  return contentType.split(';')[0]?.trim().toLowerCase() || undefined
}

function headerText(value: unknown): string {
  return Array.isArray(value) ? value.join(', ') : String(value)
}

/** A header's text as its schema's type: `Retry-After: 5` is the integer 5. */
function headerValue(text: string, schema: Record<string, unknown>): unknown {
  if ((schema.type === 'integer' || schema.type === 'number') && /^-?\d+(\.\d+)?$/.test(text)) {
    return Number(text)
  }
  return text
}

/** `/attendance/exports/{id}` as a pattern of the paths it serves. */
function pathPattern(template: string): RegExp {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(
    `^${template
      .split(/\{[^}]+\}/)
      .map(literal)
      .join('[^/]+')}$`,
  )
}

export class OpenApiContract {
  private readonly paths: { template: string; pattern: RegExp; item: PathItem }[]
  /** The validator of each (operation, status, media type), found once per document. */
  private readonly validators = new Map<string, ValidateFunction>()

  constructor(document: OpenApiDocument) {
    // Literal paths first: `/a/b` before `/a/{id}`.
    this.paths = Object.entries(document.paths)
      .map(([template, item]) => ({ template, pattern: pathPattern(template), item }))
      .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0))
  }

  /** The path template that serves `path`, if the document has one. */
  templateOf(path: string): string | undefined {
    return this.paths.find((entry) => entry.pattern.test(path))?.template
  }

  /** Every (operation, status) the document lists, as `operationId status`. */
  documentedAnswers(): string[] {
    return this.paths.flatMap(({ template, item }) =>
      operationsOf(item).flatMap(([method, operation]) =>
        Object.keys(operation.responses).map((status) => `${nameOf(operation, method, template)} ${status}`),
      ),
    )
  }

  check(answer: SeenAnswer): Verdict {
    const entry = this.paths.find((candidate) => candidate.pattern.test(answer.path))
    if (!entry) return { kind: 'outside', reason: `no path of the document serves ${answer.path}` }
    const operations = this.operationsAnswering(entry.item, answer)
    if (operations.length === 0) return { kind: 'outside', reason: `${entry.template} has no operation` }
    const answers: string[] = []
    for (const [method, operation] of operations) {
      const name = nameOf(operation, method, entry.template)
      const status = statusKeyOf(operation, answer.status)
      const problem = status
        ? this.problemOf(name, status, operation.responses[status] as Response, answer)
        : 'the status is not documented and the operation has no `default`'
      if (problem) {
        const held = status === 'default' ? ' (not listed: held against `default`)' : ''
        return {
          kind: 'mismatch',
          operation: name,
          status: status ?? String(answer.status),
          message: `${name} (${answer.method} ${entry.template}) answered ${answer.status}${held}: ${problem}`,
        }
      }
      answers.push(`${name} ${status}`)
    }
    return { kind: 'validated', answers }
  }

  /**
   * The operations an answer belongs to: the request's own; for HEAD, the GET operation without its body
   * (RFC 9110 §9.3.2: a HEAD route is not listed apart); for a method the path does not take, every
   * operation of the path that documents the status (405 is an answer of the path, listed on each).
   */
  private operationsAnswering(item: PathItem, answer: SeenAnswer): [string, Operation][] {
    const method = answer.method.toLowerCase()
    const all = operationsOf(item)
    const own = all.find(([candidate]) => candidate === method)
    if (own) return [own]
    const get = all.find(([candidate]) => candidate === 'get')
    if (method === 'head' && get) return [get]
    const documenting = all.filter(([, operation]) => documents(operation, answer.status))
    return documenting.length > 0 ? documenting : all.slice(0, 1)
  }

  private problemOf(name: string, status: string, response: Response, answer: SeenAnswer) {
    return this.headerProblem(response, answer) ?? this.bodyProblem(`${name} ${status}`, response, answer)
  }

  private headerProblem(response: Response, answer: SeenAnswer): string | undefined {
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = answer.headers[name.toLowerCase()]
      if (value === undefined) {
        if (header.required) return `header ${name} is required but absent`
        continue
      }
      if (!header.schema) continue
      const validate = validatorOf(header.schema)
      if (!validate(headerValue(headerText(value), header.schema))) {
        return firstError(`header ${name}: "${headerText(value)}"`, validate.errors)
      }
    }
    return undefined
  }

  private bodyProblem(key: string, response: Response, answer: SeenAnswer): string | undefined {
    const content = response.content ?? {}
    const mediaType = mediaTypeOf(answer.headers['content-type'])
    if (Object.keys(content).length === 0) {
      return answer.body && answer.body.length > 0
        ? `the document gives no body, but ${answer.body.length} bytes came (${mediaType ?? 'no Content-Type'})`
        : undefined
    }
    const media = mediaType === undefined ? undefined : content[mediaType]
    if (!media || mediaType === undefined) {
      return `Content-Type ${mediaType ?? '(none)'} is not documented (${Object.keys(content).join(', ')})`
    }
    if (answer.body === undefined) return undefined
    if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
      return this.jsonProblem(`${key} ${mediaType}`, media.schema, answer.body)
    }
    if (mediaType === 'application/x-ndjson') {
      return this.ndjsonProblem(`${key} ${mediaType} line`, media.itemSchema, answer.body)
    }
    // CSV, a workbook: the media type and the headers are what the document says of them.
    return undefined
  }

  private jsonProblem(key: string, schema: Record<string, unknown> | undefined, body: Buffer) {
    let value: unknown
    try {
      value = JSON.parse(body.toString('utf8'))
    } catch {
      return `the body is not JSON: ${body.toString('utf8').slice(0, 120)}`
    }
    if (!schema) return undefined
    const validate = this.validator(key, schema)
    return validate(value) ? undefined : firstError('body', validate.errors)
  }

  /** One JSON value a line; each against the line schema when the document gives one. */
  private ndjsonProblem(key: string, itemSchema: Record<string, unknown> | undefined, body: Buffer) {
    const lines = body.toString('utf8').split('\n')
    for (const [index, line] of lines.entries()) {
      if (line.trim() === '') continue
      let value: unknown
      try {
        value = JSON.parse(line)
      } catch {
        return `NDJSON line ${index + 1} is not JSON: ${line.slice(0, 120)}`
      }
      if (!itemSchema) continue
      const validate = this.validator(key, itemSchema)
      if (!validate(value)) return firstError(`line ${index + 1}`, validate.errors)
    }
    return undefined
  }

  private validator(key: string, schema: Record<string, unknown>): ValidateFunction {
    let validate = this.validators.get(key)
    if (!validate) {
      validate = validatorOf(schema)
      this.validators.set(key, validate)
    }
    return validate
  }
}

function operationsOf(item: PathItem): [string, Operation][] {
  return METHODS.filter((method) => item[method] !== undefined).map((method) => [
    method,
    item[method] as Operation,
  ])
}

function nameOf(operation: Operation, method: string, template: string): string {
  return operation.operationId ?? `${method.toUpperCase()} ${template}`
}

/** The operation lists `status` itself or its class, not only as `default`. */
function documents(operation: Operation, status: number): boolean {
  const key = statusKeyOf(operation, status)
  return key !== undefined && key !== 'default'
}

/** The key of the response that documents `status`: itself, its class (`4XX`), or `default`. */
function statusKeyOf(operation: Operation, status: number): string | undefined {
  const keys = [String(status), `${String(status)[0]}XX`, 'default']
  return keys.find((key) => key in operation.responses)
}
