import { type Static, Type } from 'typebox'

// Fastify's own error shape, kept for every error the service answers.
export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer({ description: 'The HTTP status, repeated.', examples: [400] }),
    code: Type.String({
      description:
        'Stable machine-readable code (`ATT_*` for the service, `FST_*` for Fastify): one of those listed for this status. The table of error codes in the API description says what each means.',
      examples: ['ATT_RANGE_TOO_LONG'],
    }),
    error: Type.String({ description: 'The HTTP status text.', examples: ['Bad Request'] }),
    message: Type.String({
      description: 'What is wrong, in words.',
      examples: ['range 2024-01-01..2024-12-31 spans 366 days; at most 93 are allowed'],
    }),
  },
  { title: 'ErrorResponse', description: 'Every error answer has this shape.' },
)
export type ErrorResponse = Static<typeof ErrorResponse>
