// The media type of each format, and the choice of a format from `format` and the Accept header.
import { NotAcceptableError } from '../errors.js'
import type { Format } from '../schemas/format.js'

export const MEDIA_TYPES: Readonly<Record<Format, string>> = {
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
}

export const FILE_EXTENSIONS: Readonly<Record<Format, string>> = {
  json: 'json',
  ndjson: 'ndjson',
  csv: 'csv',
  xlsx: 'xlsx',
}

/**
 * The file name of an answer or an export: `attendance_2024-05-01_2024-05-31.xlsx`, or for summaries
 * `attendance_summary_2024-05-01_2024-05-31.csv`.
 */
export function answerFileName(
  from: string,
  to: string,
  format: Format,
  report: 'days' | 'summary' = 'days',
): string {
  return `attendance${report === 'summary' ? '_summary' : ''}_${from}_${to}.${FILE_EXTENSIONS[format]}`
}

const BY_MEDIA_TYPE = new Map<string, Format>([
  ['application/json', 'json'],
  ['application/x-ndjson', 'ndjson'],
  ['text/csv', 'csv'],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xlsx'],
])

/**
 * An explicit `format` wins; otherwise the Accept header's most preferred type this service serves
 * (q-values honoured, `*\/*` and `application/*` mean JSON). No Accept, or one that names nothing: JSON.
 * An Accept that names only types the service cannot serve: 406.
 */
export function chooseFormat(explicit: Format | undefined, accept: string | undefined): Format {
  if (explicit) return explicit
  if (!accept || accept.trim() === '') return 'json'
  const ranges = accept
    .split(',')
    .map((part, index) => {
      const [type = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase())
      const q = params.find((param) => param.startsWith('q='))
      const quality = q ? Number(q.slice(2)) : 1
      return { type, quality: Number.isFinite(quality) ? quality : 0, index }
    })
    .filter((range) => range.type !== '' && range.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index)
  for (const { type } of ranges) {
    const format = BY_MEDIA_TYPE.get(type)
    if (format) return format
    if (type === '*/*' || type === 'application/*') return 'json'
    if (type === 'text/*') return 'csv'
  }
  throw new NotAcceptableError(accept.slice(0, 200), [...BY_MEDIA_TYPE.keys()].join(', '))
}
