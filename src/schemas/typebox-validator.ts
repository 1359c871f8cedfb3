// The one validation engine of the app, for every route and every part of a request: TypeBox's compiled
// checks (the same schemas the OpenAPI document is generated from).
//
// Query strings, params and headers are text, so they are converted to the schema's types first ("true",
// "5"), as @fastify/type-provider-typebox's TypeBoxValidatorCompiler does. A JSON body is checked exactly
// as sent: `"strict": "true"`, `"strict": null` or `"userId": 12` are refused like any other wrong type.
// The first few reasons are kept (a body of 50,000 bad users gets a short 400, not 50,000 lines).
import type { FastifySchemaCompiler } from 'fastify'
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { Value } from 'typebox/value'

const MAX_REASONS = 3

export const typeBoxValidator: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema)
  const convert = httpPart !== 'body'
  const texts = convert ? textProperties(schema) : new Map<string, RegExp>()
  return (input) => {
    const value = convert ? Value.Convert(schema, withStrictText(input, texts)) : input
    if (check.Check(value)) return { value }
    // TypeBox also reports `additionalProperties: false` as "schema is false" on the extra property: the
    // additionalProperties reason says it once.
    const reasons = check
      .Errors(value)
      .filter((error) => error.keyword !== 'boolean')
      .slice(0, MAX_REASONS)
    return { error: reasons }
  }
}

/**
 * The text each scalar type may be written as in a URL. Value.Convert reads more: "1", "0" or "yes" as a
 * boolean, and Number()'s syntax for numbers ("0x10", "1e3", " 5", "" as 0), then truncates "1.5" to 1 for
 * an integer. A query of `maxAge=1.5` would be served as `maxAge=1`, while the same 1.5 in a JSON body is
 * refused: only a plain decimal is a number here, as in JSON, and anything else stays text, which the check
 * refuses with the type it expected.
 */
const TEXT_OF_TYPE: Record<string, RegExp> = {
  boolean: /^(true|false)$/,
  integer: /^-?(0|[1-9]\d*)$/,
  number: /^-?(0|[1-9]\d*)(\.\d+)?$/,
}

/** Top-level boolean, integer and number properties of an object schema (a query string is flat). */
function textProperties(schema: TSchema): Map<string, RegExp> {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {}
  const texts = new Map<string, RegExp>()
  for (const [name, property] of Object.entries(properties)) {
    const text = typeof property.type === 'string' ? TEXT_OF_TYPE[property.type] : undefined
    if (text) texts.set(name, text)
  }
  return texts
}

/** The input with every value its type may not be written as replaced by one that no conversion reads. */
function withStrictText(input: unknown, texts: ReadonlyMap<string, RegExp>): unknown {
  if (texts.size === 0 || typeof input !== 'object' || input === null) return input
  const fields = input as Record<string, unknown>
  const strict: Record<string, unknown> = { ...fields }
  for (const [name, text] of texts) {
    const given = fields[name]
    if (typeof given === 'string' && !text.test(given)) strict[name] = { notConvertible: given }
  }
  return strict
}
