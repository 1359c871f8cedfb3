// The formats an answer or an export file can take.
import { Type } from 'typebox'

export const FORMATS = ['json', 'ndjson', 'csv', 'xlsx'] as const
export type Format = (typeof FORMATS)[number]

export const FormatField = Type.Enum(FORMATS, {
  description:
    'The answer\'s format: `json` (default), `ndjson` (one DayResult a line, then a `{"type":"summary",…}` line), `csv` (one row per segment; per user for summaries) or `xlsx` (an Excel workbook; its sheets are given with each answer). An `Accept` header of `application/x-ndjson`, `text/csv` or `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` selects the same; an explicit `format` wins.',
})

export const BomField = Type.Boolean({
  default: false,
  description: 'CSV only: start the file with a UTF-8 byte-order mark, so that Excel reads it as UTF-8.',
})
