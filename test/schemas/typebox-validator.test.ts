// The conversion of URL text to the schema's types takes a plain decimal for a number, a plain decimal
// integer for an integer, and `true`/`false` for a flag; whatever else JavaScript would read as a number
// stays text and is refused with the type expected. A JSON body is never converted.
import t from 'tap'
import { Type } from 'typebox'
import { typeBoxValidator } from '../../src/schemas/typebox-validator.js'

const Query = Type.Object(
  {
    count: Type.Optional(Type.Integer({ minimum: 0 })),
    ratio: Type.Optional(Type.Number()),
    flag: Type.Optional(Type.Boolean()),
    name: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

function validate(httpPart: 'querystring' | 'params' | 'headers' | 'body', input: unknown) {
  const validator = typeBoxValidator({ schema: Query, httpPart, method: 'GET', url: '/' }) as (
    input: unknown,
  ) => {
    value?: unknown
    error?: { message: string; instancePath: string }[]
  }
  return validator(input)
}

t.test('integers: plain decimal integer text only', async (t) => {
  for (const [text, value] of [
    ['0', 0],
    ['7', 7],
    ['31536000', 31_536_000],
  ] as const) {
    t.same(validate('querystring', { count: text }), { value: { count: value } }, `count=${text}`)
  }
  for (const text of ['1.5', '1.0', '0x10', '1e3', '-0.5', '', ' 5', '5 ', '+5', '05', '1_000', 'NaN']) {
    const result = validate('querystring', { count: text })
    t.equal(result.value, undefined, `count=${JSON.stringify(text)} is refused`)
    t.match(result.error?.[0], { instancePath: '/count', message: /integer/ }, 'as not an integer')
  }
  t.match(validate('querystring', { count: '-1' }).error?.[0], { instancePath: '/count', message: /0/ })
})

t.test('numbers: plain decimal text only', async (t) => {
  for (const [text, value] of [
    ['0', 0],
    ['1.5', 1.5],
    ['-0.25', -0.25],
    ['12', 12],
  ] as const) {
    t.same(validate('querystring', { ratio: text }), { value: { ratio: value } }, `ratio=${text}`)
  }
  for (const text of ['.5', '5.', '1e3', '0x10', '', ' 1', '+1', 'Infinity', '1,5']) {
    const result = validate('querystring', { ratio: text })
    t.equal(result.value, undefined, `ratio=${JSON.stringify(text)} is refused`)
    t.match(result.error?.[0], { instancePath: '/ratio', message: /number/ }, 'as not a number')
  }
})

t.test('flags stay true or false; text stays text', async (t) => {
  t.same(validate('querystring', { flag: 'true', name: '15' }), { value: { flag: true, name: '15' } })
  for (const text of ['1', '0', 'yes', 'TRUE', '']) {
    t.equal(
      validate('querystring', { flag: text }).value,
      undefined,
      `flag=${JSON.stringify(text)} is refused`,
    )
  }
})

t.test('params and headers are converted the same way', async (t) => {
  t.same(validate('params', { count: '3' }), { value: { count: 3 } })
  t.equal(validate('params', { count: '3.5' }).value, undefined)
  t.equal(validate('headers', { count: '0x3' }).value, undefined)
})

t.test('a JSON body is checked as sent', async (t) => {
  t.same(validate('body', { count: 3, ratio: 0.5 }), { value: { count: 3, ratio: 0.5 } })
  t.equal(validate('body', { count: '3' }).value, undefined, 'a string is not an integer in JSON')
  t.equal(validate('body', { count: 1.5 }).value, undefined)
})
