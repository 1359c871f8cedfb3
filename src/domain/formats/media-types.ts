// The media type of each format, and the choice of a format from `format` and the Accept header.
import { NotAcceptableError } from '../../errors/errors.js'
import { FORMATS, type Format } from '../../schemas/format.js'

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

/** `type/subtype` of a format, without its parameters: what an Accept range is matched against. */
const bareType = (format: Format): string => MEDIA_TYPES[format].split(';')[0] as string

/** One entry of an Accept header: `type/subtype`, `type/*` or `*\/*`, its q-value and its position. */
interface MediaRange {
  range: string
  quality: number
  index: number
}

/** How a range stands to a type it matches: a type named beats `type/*`, which beats `*\/*`. */
const SPECIFICITY = { exact: 2, type: 1, any: 0 } as const

/**
 * An explicit `format` wins; otherwise the Accept header's most preferred of the four types served, as
 * RFC 9110 §12.5.1 reads it (the way Apache httpd and the `negotiator` package behind Express
 * do): each type takes the q-value of the most specific range that matches it, so
 * `application/json;q=0, *\/*;q=0.5` rules JSON out and lets the others in at 0.5. The highest q wins; at
 * equal q, the type whose range is listed first, then the order of FORMATS (JSON, NDJSON, CSV, XLSX).
 * No Accept, or an empty one: JSON. An Accept that leaves no served type with q > 0: 406.
 */
export function chooseFormat(explicit: Format | undefined, accept: string | undefined): Format {
  if (explicit) return explicit
  if (!accept || accept.trim() === '') return 'json'
  const ranges = parseAccept(accept)
  let best: { format: Format; quality: number; index: number } | undefined
  for (const format of FORMATS) {
    const preference = preferenceOf(bareType(format), ranges)
    if (!preference || preference.quality <= 0) continue
    const better =
      !best ||
      preference.quality > best.quality ||
      (preference.quality === best.quality && preference.index < best.index)
    if (better) best = { format, ...preference }
  }
  if (best) return best.format
  const names = FORMATS.map(bareType).join(', ')
  throw new NotAcceptableError(accept.slice(0, 200), names)
}

function parseAccept(accept: string): MediaRange[] {
  return accept
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase())
      const q = params.find((param) => param.startsWith('q='))
      const quality = q ? Number(q.slice(2)) : 1
      // A q-value that is not a number is read as 0: better refuse than guess what was meant.
      return { range, quality: Number.isFinite(quality) ? quality : 0, index }
    })
    .filter((entry) => entry.range.includes('/'))
}

/** The range that decides for a type: the most specific that matches it, the first listed among equals. */
function preferenceOf(mediaType: string, ranges: readonly MediaRange[]): MediaRange | undefined {
  let decisive: { range: MediaRange; specificity: number } | undefined
  for (const range of ranges) {
    const specificity = matchOf(range.range, mediaType)
    if (specificity === undefined) continue
    if (!decisive || specificity > decisive.specificity) decisive = { range, specificity }
  }
  return decisive?.range
}

function matchOf(range: string, mediaType: string): number | undefined {
  if (range === mediaType) return SPECIFICITY.exact
  if (range === '*/*') return SPECIFICITY.any
  const [type] = mediaType.split('/')
  return range === `${type}/*` ? SPECIFICITY.type : undefined
}
