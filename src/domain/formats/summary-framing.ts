// How the text formats frame a summaries answer. Days only feed the collector; each source's summaries are
// written once the source is done, and the people (groupBy=person) with the end. JSON:
// `{"from","to","summaries":[…],"complete","sources"[,"people"]}`; NDJSON: a UserSummary a line, then
// `{"type":"summary",…}`; CSV: a row per user, or per person with groupBy=person.
import type { PersonSummary, UserSummary } from '../../schemas/user-summary.js'
import type { SummaryCollector } from '../summaries/summary-collector.js'
import { csvHeader, csvRows } from './csv-encoder.js'
import { PERSON_COLUMNS, personRow, SUMMARY_COLUMNS, summaryRow } from './summary-rows.js'
import type { AnswerSummary, Serializers, TextFormat, TextFraming } from './text-framing.js'
import { plainSerializers } from './text-framing.js'

export interface SummarySerializers extends Pick<Serializers, 'sources'> {
  summary(summary: UserSummary): string
  people(people: PersonSummary[]): string
}

export const plainSummarySerializers: SummarySerializers = {
  summary: (summary) => JSON.stringify(summary),
  people: (people) => JSON.stringify(people),
  sources: plainSerializers.sources,
}

export interface SummaryFramingOptions {
  from: string
  to: string
  bom?: boolean
  collector: SummaryCollector
  /** 'person': the answer also has `people` (CSV: a row per person instead of per user). */
  groupBy?: 'person'
  serializers?: SummarySerializers
}

export function summaryFraming(format: TextFormat, options: SummaryFramingOptions): TextFraming {
  const { collector, groupBy } = options
  const serialize = options.serializers ?? plainSummarySerializers
  const collect = (days: Parameters<TextFraming['encode']>[0]) => {
    collector.add(days)
    return ''
  }
  const people = () =>
    groupBy === 'person' ? `,"people":${serialize.people(collector.personSummaries())}` : ''
  switch (format) {
    case 'json':
      return {
        start: `{"from":${JSON.stringify(options.from)},"to":${JSON.stringify(options.to)},"summaries":[`,
        encode: collect,
        separator: ',',
        endSource: (report) =>
          collector
            .finishSource(report)
            .map((summary) => serialize.summary(summary))
            .join(','),
        end: ({ complete, sources }: AnswerSummary) =>
          `],"complete":${complete},"sources":${serialize.sources(sources)}${people()}}`,
      }
    case 'ndjson':
      return {
        start: '',
        encode: collect,
        separator: '',
        endSource: (report) =>
          collector
            .finishSource(report)
            .map((summary) => `${serialize.summary(summary)}\n`)
            .join(''),
        end: ({ complete, sources }: AnswerSummary) =>
          `{"type":"summary","complete":${complete},"sources":${serialize.sources(sources)}${people()}}\n`,
      }
    case 'csv':
      if (groupBy === 'person') {
        return {
          start: csvHeader(options.bom ?? false, PERSON_COLUMNS),
          encode: collect,
          separator: '',
          endSource: (report) => {
            collector.finishSource(report)
            return ''
          },
          end: () => csvRows(collector.personSummaries().map(personRow)),
        }
      }
      return {
        start: csvHeader(options.bom ?? false, SUMMARY_COLUMNS),
        encode: collect,
        separator: '',
        endSource: (report) => csvRows(collector.finishSource(report).map(summaryRow)),
        end: () => '',
      }
  }
}
