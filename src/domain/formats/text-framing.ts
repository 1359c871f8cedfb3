// How the text formats frame an answer: what comes before the first day, how a chunk of days is encoded
// and joined to the previous one, and what closes the answer once the sources are done. The streamed
// answer and the export files use the same framing, so both give the same bytes for the same days.
import type { DayResult } from '../../schemas/day-result.js'
import type { SourceReport } from '../../schemas/source-report.js'
import { csvDays, csvHeader } from './csv-encoder.js'

export type TextFormat = 'json' | 'ndjson' | 'csv'

export interface AnswerSummary {
  complete: boolean
  sources: SourceReport[]
}

export interface TextFraming {
  start: string
  encode(days: readonly DayResult[]): string
  /** Put between two non-empty encoded chunks. */
  separator: string
  /** Text written once a source is done (its users' summaries), joined to the rest like a chunk. */
  endSource?(report: SourceReport): string
  end(summary: AnswerSummary): string
}

export interface Serializers {
  day(day: DayResult): string
  sources(sources: SourceReport[]): string
}

/** JSON.stringify: the encoders of the files, where no route's compiled serializer is at hand. */
export const plainSerializers: Serializers = {
  day: (day) => JSON.stringify(day),
  sources: (sources) => JSON.stringify(sources),
}

export interface FramingOptions {
  from: string
  to: string
  bom?: boolean
  serializers?: Serializers
}

export function textFraming(format: TextFormat, options: FramingOptions): TextFraming {
  const serialize = options.serializers ?? plainSerializers
  switch (format) {
    case 'json':
      return {
        start: `{"from":${JSON.stringify(options.from)},"to":${JSON.stringify(options.to)},"results":[`,
        encode: (days) => days.map((day) => serialize.day(day)).join(','),
        separator: ',',
        end: ({ complete, sources }) => `],"complete":${complete},"sources":${serialize.sources(sources)}}`,
      }
    case 'ndjson':
      // The summary line is how a reader tells a finished stream from one cut short: day lines have no
      // `type`, and nothing follows the summary.
      return {
        start: '',
        encode: (days) => days.map((day) => `${serialize.day(day)}\n`).join(''),
        separator: '',
        end: ({ complete, sources }) =>
          `{"type":"summary","complete":${complete},"sources":${serialize.sources(sources)}}\n`,
      }
    case 'csv':
      return { start: csvHeader(options.bom ?? false), encode: csvDays, separator: '', end: () => '' }
  }
}
