// Every error code the service can answer is in the OpenAPI document and in the README. The codes are
// found in the source itself (the TypeScript compiler reads every file of src/ but the simulators, which
// answer as the vendors do): each one must be a row of the error catalogue (HTTP error answers) or a code of
// one of the lists of codes inside a 200 answer (source reports, export jobs, warnings), and each of those
// is held to the served document and to the README's tables. As Fastify's test/internals/errors.test.js
// holds lib/errors.js to docs/Reference/Errors.md.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import ts from 'typescript'
import { ERROR_CATALOGUE, isCatalogued, operationCodes } from '../../src/errors/catalogue.js'
import * as serviceErrors from '../../src/errors/errors.js'
import { ERROR_TABLE_HEADER, errorTableRow } from '../../src/schemas/documented-errors.js'
import { EXPORT_ERROR_CODES, EXPORT_ERROR_MEANINGS } from '../../src/schemas/export.js'
import { SOURCE_ERROR_CODES, SOURCE_ERROR_MEANINGS, WARNING_CODES } from '../../src/schemas/source-report.js'
import { EventCryptoError } from '../../src/vendors/common/event-crypto-error.js'
import { buildTestApp } from '../helpers/test-app.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const readme = readFileSync(join(root, 'README.md'), 'utf8')

/** A code as the service writes them: upper-case words joined by underscores (`TIMEOUT`, `ATT_NOT_FOUND`). */
const CODE_TEXT = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/
/** Text that is a code wherever it stands. */
const ALWAYS_A_CODE = /^(?:ATT|FST|VENDOR)_[A-Z0-9_]+$/
/** Calls whose first argument is a code: error constructors, createError, the vendors' verdict helpers. */
const CODE_CALLEE = /(?:Error|Failure|^createError|^throwError|^warn)$/

interface FoundCode {
  code: string
  where: string
}

/**
 * Every code written in src/ (but the simulators and the catalogue): at a `code` property, as the first
 * argument of an error's constructor, or in a string that can only be a code.
 */
function codesInSource(): FoundCode[] {
  const found: FoundCode[] = []
  const files = readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    // The simulators answer as the vendors do; the catalogue is the list the codes are held to.
    .filter((path) => !relative(root, path).startsWith('src/simulators/'))
    .filter((path) => relative(root, path) !== 'src/errors/catalogue.ts')
  for (const path of files) {
    const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true)
    const add = (node: ts.Node) => {
      if (!ts.isStringLiteralLike(node) || !CODE_TEXT.test(node.text)) return
      const { line } = source.getLineAndCharacterOfPosition(node.getStart())
      found.push({ code: node.text, where: `${relative(root, path)}:${line + 1}` })
    }
    const addAll = (node: ts.Node) => {
      add(node)
      ts.forEachChild(node, addAll)
    }
    const visit = (node: ts.Node) => {
      if (ts.isStringLiteralLike(node) && ALWAYS_A_CODE.test(node.text)) add(node)
      if (
        (ts.isPropertyAssignment(node) || ts.isPropertyDeclaration(node)) &&
        node.name.getText(source) === 'code' &&
        node.initializer
      ) {
        addAll(node.initializer)
      }
      if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && node.arguments?.[0]) {
        const callee = node.expression.getText(source).split('.').pop() ?? ''
        if (CODE_CALLEE.test(callee)) add(node.arguments[0])
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  // A literal found twice (a code property that is also ALWAYS_A_CODE) counts once.
  return [...new Map(found.map((entry) => [`${entry.where} ${entry.code}`, entry])).values()]
}

/** The rows of the first markdown table after a heading of the README. */
function readmeTable(heading: string): string[] {
  const lines = readme.split('\n')
  const start = lines.indexOf(heading)
  if (start < 0) return []
  const first = lines.findIndex((line, index) => index > start && line.startsWith('|'))
  const rows: string[] = []
  for (let index = first; index >= 0 && lines[index]?.startsWith('|'); index++)
    rows.push(lines[index] as string)
  return rows
}

const meaningRow = (code: string, meaning: string) => `| \`${code}\` | ${meaning} |`

const catalogueCodes = new Set(ERROR_CATALOGUE.map((entry) => entry.code))
const lists = {
  'the error catalogue': catalogueCodes,
  'the source error codes': new Set<string>(SOURCE_ERROR_CODES),
  'the export error codes': new Set<string>(EXPORT_ERROR_CODES),
  'the warning codes': new Set<string>(WARNING_CODES),
}

t.test('the source scan finds the codes where they are written', async (t) => {
  const found = codesInSource()
  const at = (code: string) => found.filter((entry) => entry.code === code).map((entry) => entry.where)
  // One of each kind of place, so that a scan that finds nothing cannot pass the tests below.
  const foundIn = (code: string, file: string) => at(code).some((where) => where.startsWith(`${file}:`))
  t.ok(foundIn('ATT_INVALID_DATE', 'src/errors/errors.ts'), 'createError in errors.ts')
  t.ok(foundIn('ATT_METHOD_NOT_ALLOWED', 'src/service/plugins/app/error-handler.ts'), 'a code property')
  t.ok(
    foundIn('ATT_BAD_HTTP_REQUEST', 'src/service/plugins/app/client-error-handler.ts'),
    'written on the socket',
  )
  t.ok(foundIn('ATT_EVENT_CRYPTO', 'src/vendors/common/event-crypto-error.ts'), 'a class property')
  t.ok(foundIn('CANCELLED', 'src/domain/attendance/run-source.ts'), 'a source error code property')
  t.ok(
    at('TIMEOUT').some((where) => where.startsWith('src/vendors/common/')),
    'a VendorError argument',
  )
  t.ok(at('EXPORT_STOPPED').length >= 2, 'export job codes')
  t.ok(at('DAY_OUTSIDE_BLOCK').length >= 1, 'warnings')
  t.ok(found.length > 100, `${found.length} codes written in src/`)
})

t.test('every code written in src/ is in one list of documented codes', async (t) => {
  const unlisted = codesInSource()
    .filter(({ code }) => !Object.values(lists).some((list) => list.has(code)))
    .map(({ code, where }) => `${where} ${code}`)
  t.same(
    unlisted,
    [],
    'codes in no list (add them to src/errors/catalogue.ts, or to the list they belong to)',
  )
  const http = codesInSource().filter(({ code }) => /^(ATT|FST)_/.test(code))
  t.same(
    http.filter(({ code }) => !catalogueCodes.has(code)).map(({ code, where }) => `${where} ${code}`),
    [],
    'every ATT_ and FST_ code is in the error catalogue',
  )
})

t.test(
  'every error of src/errors/errors.ts (and the event crypto error) answers a catalogued status',
  async (t) => {
    const constructors = Object.entries(serviceErrors) as [string, new (...args: unknown[]) => Error][]
    t.ok(constructors.length >= 30, `${constructors.length} errors`)
    for (const [name, ErrorClass] of constructors) {
      const error = new ErrorClass('a', 'b', 1, 2) as Error & { code: string; statusCode: number }
      t.ok(isCatalogued(error.code, error.statusCode), `${name}: ${error.code} ${error.statusCode}`)
    }
    const crypto = new EventCryptoError('feishu', 'bad-padding')
    t.ok(
      isCatalogued(crypto.code, crypto.statusCode),
      `EventCryptoError: ${crypto.code} ${crypto.statusCode}`,
    )
  },
)

t.test('the catalogue: one row per code and status, each an error status, with a meaning', async (t) => {
  const pairs = ERROR_CATALOGUE.map((entry) => `${entry.code} ${entry.status}`)
  t.equal(new Set(pairs).size, pairs.length, 'no row twice')
  for (const entry of ERROR_CATALOGUE) {
    t.ok(entry.status >= 400 && entry.status < 600, `${entry.code}: ${entry.status}`)
    t.match(entry.meaning, /^\S.*\.$/, `${entry.code}: a meaning, a sentence`)
    t.notMatch(entry.meaning, /\|/, `${entry.code}: no table separator in the meaning`)
  }
})

t.test('the README tables are the lists', async (t) => {
  t.same(
    readmeTable('### Error codes'),
    [...ERROR_TABLE_HEADER, ...ERROR_CATALOGUE.map(errorTableRow)],
    'Error codes: one row per catalogue row, in its order',
  )
  t.same(
    readmeTable('#### Source error codes'),
    [
      '| code | meaning |',
      '|---|---|',
      ...SOURCE_ERROR_CODES.map((code) => meaningRow(code, SOURCE_ERROR_MEANINGS[code])),
    ],
    'Source error codes',
  )
  t.same(
    readmeTable('#### Export error codes'),
    [
      '| code | meaning |',
      '|---|---|',
      ...EXPORT_ERROR_CODES.map((code) => meaningRow(code, EXPORT_ERROR_MEANINGS[code])),
    ],
    'Export error codes',
  )
  const warnings = readmeTable('#### Warnings').slice(2)
  t.same(
    warnings.map((row) => /^\| `([A-Z_]+)` \|/.exec(row)?.[1]),
    WARNING_CODES,
    'Warnings: one row per warning code',
  )
})

interface DocumentedSchema {
  title?: string
  enum?: string[]
  examples?: unknown[]
  properties?: Record<string, DocumentedSchema>
  [keyword: string]: unknown
}
interface Document {
  info: { description: string }
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: DocumentedSchema }> }> }>
  >
}

/** Every schema with this title anywhere in the document. */
function schemasTitled(value: unknown, title: string, found: DocumentedSchema[] = []): DocumentedSchema[] {
  if (typeof value !== 'object' || value === null) return found
  if ((value as DocumentedSchema).title === title) found.push(value as DocumentedSchema)
  for (const inner of Object.values(value)) schemasTitled(inner, title, found)
  return found
}

t.test('the document: the table, an enum of codes on each error response, the lists', async (t) => {
  const { app } = await buildTestApp(t)
  const document = (await app.inject('/docs/json')).json() as Document
  const description = document.info.description.split('\n')
  for (const entry of ERROR_CATALOGUE) {
    t.ok(description.includes(errorTableRow(entry)), `${entry.code} ${entry.status} in the table of codes`)
  }

  let errorResponses = 0
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const schema = response.content?.['application/json']?.schema
        if (schema?.title !== 'ErrorResponse') continue
        errorResponses++
        const where = `${method.toUpperCase()} ${path} ${status}`
        // `default` is the error handler's answer to what no route expects: a 500.
        const statusCode = status === 'default' ? 500 : Number(status)
        const codes = schema.properties?.code?.enum
        t.same(codes, operationCodes(statusCode), `${where}: the codes of ${status}`)
        for (const example of schema.properties?.code?.examples ?? []) {
          t.ok(codes?.includes(example as string), `${where}: the code's example ${example} is listed`)
        }
        t.same(schema.properties?.statusCode?.examples, [statusCode], `${where}: the status's example`)
        for (const example of (schema.examples ?? []) as { statusCode?: number; code?: string }[]) {
          t.equal(example.statusCode, statusCode, `${where}: the example's status`)
          t.ok(codes?.includes(example.code as string), `${where}: the example's ${example.code} is listed`)
        }
      }
    }
  }
  t.ok(errorResponses >= 100, `${errorResponses} error responses`)

  const enumsOf = (title: string, property: string) =>
    schemasTitled(document, title).map((schema) => schema.properties?.[property]?.enum)
  const sourceErrors = enumsOf('SourceError', 'code')
  t.ok(sourceErrors.length > 0, 'source reports are documented')
  for (const codes of sourceErrors)
    t.same(codes, SOURCE_ERROR_CODES, 'SourceError.code: the source error codes')
  const exportErrors = enumsOf('ExportError', 'code')
  t.ok(exportErrors.length > 0, 'export jobs are documented')
  for (const codes of exportErrors)
    t.same(codes, EXPORT_ERROR_CODES, 'ExportError.code: the export error codes')
  const warnings = enumsOf('SourceWarning', 'code')
  t.ok(warnings.length > 0, 'warnings are documented')
  for (const codes of warnings) t.same(codes, WARNING_CODES, 'SourceWarning.code: the warning codes')
})

t.test('every code written in src/ is in the served document and in the README', async (t) => {
  const { app } = await buildTestApp(t)
  const served = (await app.inject('/docs/json')).body
  const codes = [...new Set(codesInSource().map(({ code }) => code))].sort()
  for (const code of codes) {
    t.ok(served.includes(`\`${code}\``) || served.includes(`"${code}"`), `${code} in the document`)
    t.match(readme, new RegExp(`^\\| \`${code}\` \\|`, 'm'), `${code} has a row in a README table`)
  }
})
