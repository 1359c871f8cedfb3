// A whole answer written to a file: the same bytes the framing gives, the size and SHA-256 counted on the
// way (the route sends the size as content-length), a size limit that stops the file growing, and destroy.
import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import t from 'tap'
import type { ResultOutput } from '../../src/domain/attendance/query-service.js'
import { openAnswerFile } from '../../src/domain/formats/answer-file.js'
import { csvDays, csvHeader } from '../../src/domain/formats/csv-encoder.js'
import type { DayResult } from '../../src/schemas/day-result.js'
import type { Format } from '../../src/schemas/format.js'
import { SPEC_COLUMNS } from './expected-rows.js'
import { loadWorkbook, sheet } from './read-workbook.js'
import { dingtalkDay, emptyDay, feishuDay } from './sample-days.js'

const SUMMARY = { complete: true, sources: [] }

/** Days given as the query service gives them: encoded, then written in order, waiting when told to. */
async function deliver(output: ResultOutput<unknown>, chunks: DayResult[][]): Promise<void> {
  for (const chunk of chunks) await output.write(output.encode(chunk))
}

async function open(
  t: Test,
  format: Format,
  options: { bom?: boolean; maxBytes?: number; onTooLarge?: () => void } = {},
) {
  const path = join(t.testdir(), `answer.${format}`)
  return {
    path,
    file: await openAnswerFile(path, { format, from: '2024-05-06', to: '2024-05-07', ...options }),
  }
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

t.test('CSV: the header and the days’ rows; bytes and SHA-256 are the file’s', async (t) => {
  const { path, file } = await open(t, 'csv', { bom: true })
  await deliver(file.output, [[feishuDay], [], [dingtalkDay, emptyDay]])
  t.equal(file.days, 3)
  const written = await file.finish(SUMMARY)
  const data = readFileSync(path)
  t.equal(data.toString('utf8'), csvHeader(true) + csvDays([feishuDay, dingtalkDay, emptyDay]))
  t.equal(written.bytes, data.length, 'UTF-8 bytes, Chinese and BOM included')
  t.equal(written.bytes, statSync(path).size)
  t.equal(written.sha256, sha256(data))
  t.notOk(file.tooLarge)
})

t.test('NDJSON: a day a line, then the summary line', async (t) => {
  const { path, file } = await open(t, 'ndjson')
  await deliver(file.output, [[feishuDay], [dingtalkDay]])
  const written = await file.finish({ complete: false, sources: [] })
  const data = readFileSync(path)
  t.same(data.toString('utf8').split('\n'), [
    JSON.stringify(feishuDay),
    JSON.stringify(dingtalkDay),
    '{"type":"summary","complete":false,"sources":[]}',
    '',
  ])
  t.equal(written.bytes, data.length)
  t.equal(written.sha256, sha256(data))
})

t.test('JSON: the whole answer, days joined across chunks', async (t) => {
  const { path, file } = await open(t, 'json')
  await deliver(file.output, [[feishuDay], [], [dingtalkDay]])
  await file.finish(SUMMARY)
  t.same(JSON.parse(readFileSync(path, 'utf8')), {
    from: '2024-05-06',
    to: '2024-05-07',
    results: [feishuDay, dingtalkDay],
    complete: true,
    sources: [],
  })
})

t.test('XLSX: a workbook whose Days sheet has the days’ rows; its size and hash', async (t) => {
  const { path, file } = await open(t, 'xlsx')
  await deliver(file.output, [[feishuDay], [dingtalkDay, emptyDay]])
  t.equal(file.days, 3)
  const written = await file.finish(SUMMARY)
  const data = readFileSync(path)
  t.equal(written.bytes, data.length)
  t.equal(written.sha256, sha256(data))
  const days = sheet(await loadWorkbook(data), 'Days')
  t.equal(days.rowCount, 1 + 2 + 1 + 1)
  t.equal(days.getRow(1).getCell(SPEC_COLUMNS.length).value, 'fetchedAt')
})

t.test('past maxBytes the file stops growing and onTooLarge is told once', async (t) => {
  let told = 0
  const { path, file } = await open(t, 'csv', { maxBytes: 600, onTooLarge: () => told++ })
  await deliver(file.output, [[feishuDay], [feishuDay], [feishuDay], [feishuDay]])
  t.ok(file.tooLarge)
  t.equal(told, 1)
  await file.destroy()
  t.ok(statSync(path).size <= 600, `the file holds ${statSync(path).size} bytes at most 600`)
})

t.test('destroy closes the file before finishing (the caller removes it)', async (t) => {
  const { path, file } = await open(t, 'csv')
  await deliver(file.output, [[feishuDay]])
  await file.destroy()
  t.ok(statSync(path).isFile(), 'left for the caller to remove')
  await t.resolves(file.destroy(), 'twice is fine')
})
