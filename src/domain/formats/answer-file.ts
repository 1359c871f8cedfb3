// A whole answer written to a file in any format, for the synchronous CSV/XLSX answers (sent only once
// complete) and for export jobs. The query's days come in through `output` (QueryService.execute's
// ResultOutput) in the answer's order; a full disk buffer makes the query's workers wait, as a slow client
// does for the streamed answer. Size and SHA-256 are counted on the way, so the file is read only once.
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { Transform, type TransformCallback } from 'node:stream'
import { finished } from 'node:stream/promises'
import { setImmediate } from 'node:timers/promises'
import type { DayResult } from '../../schemas/day-result.js'
import type { Format } from '../../schemas/format.js'
import type { SourceReport } from '../../schemas/source-report.js'
import type { UserSummary } from '../../schemas/user-summary.js'
import type { ResultOutput } from '../attendance/query-service.js'
import type { SummaryCollector } from '../summaries/summary-collector.js'
import { summaryFraming } from './summary-framing.js'
import { type AnswerSummary, textFraming } from './text-framing.js'

export interface AnswerFileOptions {
  format: Format
  from: string
  to: string
  bom?: boolean
  /** Past this many bytes the file stops growing and `onTooLarge` is called once (the caller aborts). */
  maxBytes?: number
  onTooLarge?: () => void
  /**
   * `summary`: the file holds the users' summaries instead of their days. Given with `days` (the default),
   * an XLSX also gets the `Summary` sheet.
   */
  report?: 'days' | 'summary'
  summaries?: { collector: SummaryCollector; groupBy?: 'person' }
}

export interface WrittenFile {
  bytes: number
  sha256: string
}

export interface AnswerFile {
  readonly output: ResultOutput<unknown>
  /** Days written so far. */
  readonly days: number
  readonly tooLarge: boolean
  /** Writes the end of the answer and closes the file. */
  finish(summary: AnswerSummary): Promise<WrittenFile>
  /** Stops writing and closes the file (the caller removes it). */
  destroy(): Promise<void>
}

/** Encoded days of a source waiting for its turn, at most (as for the streamed answer). */
const MAX_HELD_BYTES = 16 * 1024 * 1024
/** Days turned into XLSX rows between two turns of the event loop. */
const XLSX_SLICE_DAYS = 200
/** A rough size of a day held as objects (XLSX), to bound what waits for its turn. */
const HELD_DAY_BYTES = 1024

class CountingHash extends Transform {
  bytes = 0
  private readonly hash = createHash('sha256')
  constructor(
    private readonly maxBytes: number,
    private readonly onTooLarge: () => void,
  ) {
    super()
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length
    if (this.bytes > this.maxBytes) {
      this.onTooLarge()
      done()
      return
    }
    this.hash.update(chunk)
    done(null, chunk)
  }
  digest(): string {
    return this.hash.digest('hex')
  }
}

type XlsxModule = typeof import('./xlsx-workbook.js')

export async function openAnswerFile(path: string, options: AnswerFileOptions): Promise<AnswerFile> {
  // exceljs takes ~37 MiB once loaded: a replica that never writes a workbook never loads it. Loaded
  // before the file is opened, so that nothing is left open if it fails.
  const xlsx = options.format === 'xlsx' ? await import('./xlsx-workbook.js') : undefined
  const file = createWriteStream(path)
  let tooLarge = false
  const counter = new CountingHash(options.maxBytes ?? Number.POSITIVE_INFINITY, () => {
    if (tooLarge) return
    tooLarge = true
    options.onTooLarge?.()
  })
  counter.pipe(file)
  let days = 0
  // The counter's buffer is full: the next block waits until the file has taken it.
  const waitIfFull = (): Promise<void> | undefined =>
    counter.writableNeedDrain ? once(counter, 'drain').then(() => undefined) : undefined
  const closed = async (): Promise<void> => {
    await finished(file)
  }
  const destroy = async (): Promise<void> => {
    counter.unpipe(file)
    counter.destroy()
    file.destroy()
    await finished(file).catch(() => {})
  }

  const collector = options.summaries?.collector
  const summaryReport = options.report === 'summary'
  if (summaryReport && !collector) throw new Error('a summary report needs a summary collector')

  if (options.format === 'xlsx') {
    const workbook = new (xlsx as XlsxModule).XlsxAnswer(counter, !summaryReport)
    let writing: Promise<void> = Promise.resolve()
    // Summaries are small (one row per user) and kept for their sheet, written after `Days`.
    const summaries: UserSummary[] = []
    return {
      output: {
        endSource: collector
          ? (report: SourceReport) => {
              writing = writing.then(() => {
                summaries.push(...collector.finishSource(report))
              })
              return writing
            }
          : undefined,
        encode: (chunk: DayResult[]) => {
          collector?.add(chunk)
          // Counted as written either way; a summaries workbook has no Days sheet to add them to.
          return chunk
        },
        sizeOf: (chunk: DayResult[]) => chunk.length * HELD_DAY_BYTES,
        maxHeldBytes: MAX_HELD_BYTES,
        // Rows are built a slice at a time with a turn of the event loop between slices: a unit of thousands
        // of days built in one go would hold up every other request of the replica for seconds. Writes are
        // chained, so that slices of two chunks never interleave.
        write: (chunk: DayResult[]) => {
          writing = writing.then(async () => {
            for (let start = 0; start < chunk.length && !tooLarge; start += XLSX_SLICE_DAYS) {
              if (start > 0) await setImmediate()
              const slice = chunk.slice(start, start + XLSX_SLICE_DAYS)
              days += slice.length
              workbook.addDays(slice)
            }
            await waitIfFull()
          })
          return writing
        },
      } as ResultOutput<unknown>,
      get days() {
        return days
      },
      get tooLarge() {
        return tooLarge
      },
      async finish(summary) {
        await writing
        await workbook.finish(
          { from: options.from, to: options.to, ...summary },
          collector
            ? {
                summaries,
                people: options.summaries?.groupBy === 'person' ? collector.personSummaries() : undefined,
              }
            : undefined,
        )
        await closed()
        return { bytes: counter.bytes, sha256: counter.digest() }
      },
      destroy,
    }
  }

  const framing =
    summaryReport && collector
      ? summaryFraming(options.format, { ...options, collector, groupBy: options.summaries?.groupBy })
      : textFraming(options.format, options)
  let separator = ''
  counter.write(framing.start)
  const writeText = (text: string) => {
    if (text === '' || tooLarge) return
    counter.write(separator + text)
    separator = framing.separator
    return waitIfFull()
  }
  return {
    output: {
      encode: (chunk: DayResult[]) => ({ text: framing.encode(chunk), count: chunk.length }),
      sizeOf: (encoded: { text: string }) => encoded.text.length,
      maxHeldBytes: MAX_HELD_BYTES,
      write: (encoded: { text: string; count: number }) => {
        days += encoded.count
        return writeText(encoded.text)
      },
      endSource: framing.endSource
        ? (report: SourceReport) => writeText(framing.endSource?.(report) ?? '')
        : undefined,
    } as ResultOutput<unknown>,
    get days() {
      return days
    },
    get tooLarge() {
      return tooLarge
    },
    async finish(summary) {
      counter.end(framing.end(summary))
      await closed()
      return { bytes: counter.bytes, sha256: counter.digest() }
    },
    destroy,
  }
}
