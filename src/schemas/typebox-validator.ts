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
  const flags = convert ? booleanProperties(schema) : []
  return (input) => {
    const value = convert ? Value.Convert(schema, withStrictFlags(input, flags)) : input
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

/** Top-level boolean properties of an object schema (a query string is flat). */
function booleanProperties(schema: TSchema): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {}
  return Object.entries(properties)
    .filter(([, property]) => property.type === 'boolean')
    .map(([name]) => name)
}

/**
 * A flag is "true" or "false" in a URL. Value.Convert would also read "1", "0" or "yes"; those are left as
 * they are (text), so the check refuses them instead of guessing what the caller meant.
 */
function withStrictFlags(input: unknown, flags: readonly string[]): unknown {
  if (flags.length === 0 || typeof input !== 'object' || input === null) return input
  const fields = input as Record<string, unknown>
  const strict: Record<string, unknown> = { ...fields }
  for (const flag of flags) {
    const text = fields[flag]
    if (typeof text === 'string' && text !== 'true' && text !== 'false') strict[flag] = { notAFlag: text }
  }
  return strict
}
