// Checks a value read from a config file against its TypeBox schema; the error names the field and the
// rule, never the value: the value may be a secret typed into the wrong field.
import type { TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { ConfigError } from './config-error.js'

export function validated<T extends TSchema>(schema: T, value: unknown, where: string) {
  if (Value.Check(schema, value)) return value as never
  // Name the field and the rule, never the value: the value may be a secret typed into the wrong field.
  const errors = Value.Errors(schema, value)
  // TypeBox reports an unknown field twice; the 'boolean' form ("schema is false") says less.
  const first = errors.find((error) => error.keyword !== 'boolean') ?? errors[0]
  const field = first?.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : ''
  const extra = first?.keyword === 'additionalProperties' ? ` (${describeExtra(first.params)})` : ''
  throw new ConfigError(`${where}${field ? `.${field}` : ''}: ${first?.message ?? 'is invalid'}${extra}`)
}

function describeExtra(params: unknown): string {
  const names = (params as { additionalProperties?: string[] }).additionalProperties ?? []
  return `unknown field ${names.join(', ')}`
}
