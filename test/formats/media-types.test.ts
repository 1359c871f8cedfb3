// Which format an answer takes: an explicit `format` always; otherwise the Accept header's most preferred
// type the route serves (q-values, wildcards), JSON when nothing is said; 406 when Accept rules out every
// type the route serves.
import t from 'tap'
import { chooseFormat, FILE_EXTENSIONS, MEDIA_TYPES } from '../../src/domain/formats/media-types.js'
import { NotAcceptableError } from '../../src/errors/errors.js'
import { FORMATS } from '../../src/schemas/format.js'

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

t.test('the media type and file extension of each format', async (t) => {
  t.same(MEDIA_TYPES, {
    json: 'application/json; charset=utf-8',
    ndjson: 'application/x-ndjson; charset=utf-8',
    csv: 'text/csv; charset=utf-8',
    xlsx: XLSX,
  })
  t.same(FILE_EXTENSIONS, { json: 'json', ndjson: 'ndjson', csv: 'csv', xlsx: 'xlsx' })
})

t.test('an explicit format wins over any Accept, even one that would be refused', async (t) => {
  for (const format of FORMATS) {
    t.equal(chooseFormat(format, undefined), format)
    t.equal(chooseFormat(format, 'text/html'), format, `${format} with Accept: text/html`)
    t.equal(chooseFormat(format, format === 'csv' ? 'application/json' : 'text/csv'), format)
  }
})

t.test('no Accept, an empty one, or wildcards: JSON', async (t) => {
  t.equal(chooseFormat(undefined, undefined), 'json')
  t.equal(chooseFormat(undefined, ''), 'json')
  t.equal(chooseFormat(undefined, '   '), 'json')
  t.equal(chooseFormat(undefined, '*/*'), 'json')
  t.equal(chooseFormat(undefined, 'application/*'), 'json')
  t.equal(
    chooseFormat(undefined, 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'),
    'json',
    "a browser's Accept",
  )
  t.equal(chooseFormat(undefined, 'text/*'), 'csv', 'text/* is the one text type served')
})

t.test('each served type selects its format, whatever its case and other parameters', async (t) => {
  t.equal(chooseFormat(undefined, 'application/json'), 'json')
  t.equal(chooseFormat(undefined, 'application/x-ndjson'), 'ndjson')
  t.equal(chooseFormat(undefined, 'text/csv'), 'csv')
  t.equal(chooseFormat(undefined, XLSX), 'xlsx')
  t.equal(chooseFormat(undefined, 'Text/CSV; charset=UTF-8'), 'csv')
  t.equal(chooseFormat(undefined, 'text/html, text/csv'), 'csv', 'the first type served, not the first type')
})

t.test('q-values: the most preferred served type; equal preference goes to the first listed', async (t) => {
  t.equal(chooseFormat(undefined, 'text/csv;q=0.5, application/x-ndjson;q=0.9'), 'ndjson')
  t.equal(chooseFormat(undefined, 'application/json;q=0.1, text/csv'), 'csv', 'q defaults to 1')
  t.equal(chooseFormat(undefined, `text/csv;q=0.7, ${XLSX};q=0.7`), 'csv')
  t.equal(chooseFormat(undefined, `${XLSX};q=0.7, text/csv;q=0.7`), 'xlsx')
  t.equal(chooseFormat(undefined, 'text/csv; charset=utf-8; q=0.2, application/json; q=0.1'), 'csv')
  t.equal(chooseFormat(undefined, '*/*;q=0.1, text/csv;q=0.5'), 'csv', 'a wildcard ranks by its q too')
  t.equal(chooseFormat(undefined, 'text/csv;q=0, */*'), 'json', 'q=0 rules a type out')
})

t.test('q=0 rules a type out even when a wildcard would allow it (RFC 9110 §12.5.1)', async (t) => {
  t.equal(
    chooseFormat(undefined, 'application/json;q=0, */*;q=0.5'),
    'ndjson',
    'JSON excluded; the rest at 0.5, in the order the route serves them',
  )
  t.equal(chooseFormat(undefined, '*/*;q=0.5, application/json;q=0'), 'ndjson', 'whatever the order')
  t.equal(chooseFormat(undefined, 'application/json;q=0, application/x-ndjson;q=0, */*'), 'csv')
  t.equal(chooseFormat(undefined, 'application/JSON;Q=0, */*;q=0.5'), 'ndjson', 'case does not matter')
  t.equal(chooseFormat(undefined, 'application/json;q=0, application/*'), 'ndjson')
  t.equal(chooseFormat(undefined, 'application/*;q=0, */*'), 'csv', 'a type range excludes its types')
  t.equal(
    chooseFormat(undefined, 'application/*;q=0, application/json;q=0.3, */*;q=0.1'),
    'json',
    'the most specific range decides: JSON at 0.3 over CSV at 0.1',
  )
  t.equal(chooseFormat(undefined, 'text/*;q=0, */*;q=0.2, text/csv;q=0.9'), 'csv', 'specific over range')
  t.equal(chooseFormat(undefined, 'application/json;q=0, text/csv;q=0.2, */*;q=0.5'), 'ndjson')
  t.equal(chooseFormat(undefined, `application/json;q=0, ${XLSX}, */*;q=0.5`), 'xlsx')
  t.equal(chooseFormat(undefined, 'application/json;q=0.0, */*;q=0.5'), 'ndjson', 'q=0.0 is 0 too')
})

t.test(
  'an Accept that rules out every served type: 406 ATT_NOT_ACCEPTABLE naming what is served',
  async (t) => {
    for (const accept of [
      'text/html',
      'image/png, text/html;q=0.5',
      'text/csv;q=0',
      '*/*;q=0',
      'text/html, */*;q=0',
      'application/json;q=0, application/x-ndjson;q=0, text/csv;q=0, application/*;q=0, */*;q=0.5',
    ]) {
      const error = t.throws(() => chooseFormat(undefined, accept), NotAcceptableError, accept) as
        | (Error & { code?: string; statusCode?: number })
        | undefined
      t.equal(error?.code, 'ATT_NOT_ACCEPTABLE')
      t.equal(error?.statusCode, 406)
      t.match(error?.message, `"${accept}"`, 'the Accept header is quoted')
      t.match(error?.message, `application/json, application/x-ndjson, text/csv, ${XLSX}`)
      t.match(error?.message, /format=/, 'and the way around it')
    }
  },
)

t.test('a long Accept is cut in the message', async (t) => {
  const accept = `text/html, ${'x'.repeat(1000)}`
  const error = t.throws(() => chooseFormat(undefined, accept)) as Error
  t.ok(error.message.includes(accept.slice(0, 200)))
  t.notOk(error.message.includes(accept.slice(0, 201)))
})
