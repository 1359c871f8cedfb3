// Export jobs across real replica processes (src/service/server.ts) on one Redis: a replica SIGKILLed mid-job
// loses it to another, whose BullMQ stalled-job check takes it over and runs it again from the start with
// the result cache holding what the first run fetched; a replica SIGTERMed mid-job runs it for its grace,
// then hands it back to the queue, exits 0, and another replica finishes it. Either way the file holds
// every day exactly once, the job's percent never goes down, and no job stays `running` with nobody on it.
//
// The sources are paced by their rate limits (about one call a second) so that a month of a few hundred
// users takes 15–20 s on one replica: long enough to stop a replica in the middle. A takeover costs more:
// the dead replica's cache leases (10 s) and rate-limit slots lapse first, and DingTalk blocks it had only
// partly paged are fetched again whole.
import { createHash } from 'node:crypto'
import { parse } from 'csv-parse/sync'
import type { Test } from 'tap'
import t from 'tap'
import { DAY_COLUMNS, dayRows } from '../../src/domain/formats/day-rows.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import type { ExportJob } from '../../src/schemas/export.js'
import { type Simulators, startSimulators, userList } from '../helpers/integration.js'
import {
  api,
  fleetFor,
  JobWatch,
  postExport,
  type Replica,
  startReplica,
  writeSourcesFile,
} from './export-helpers.js'
import { until } from './helpers.js'

const MAY = { from: '2024-05-01', to: '2024-05-31' }
const FINAL = new Set(['succeeded', 'failed', 'cancelled'])
/** EXPORT_LOCK_SECONDS of the replicas (export-helpers.ts). */
const LOCK_MS = 2000
/** SHUTDOWN_GRACE_MS of src/service/plugins/app/exports.ts: the most a job runs on after SIGTERM. */
const GRACE_MS = 10_000

const dataCalls = (simulators: Simulators) => ({
  feishu: simulators.feishu.counters().dataCalls,
  dingtalk: simulators.dingtalk.counters().dataCalls,
})

/** Feishu's plan is exact (one call a block): what the whole query costs with nothing cached. */
async function feishuPlannedCalls(replica: Replica, users: string[]): Promise<number> {
  const response = await api(replica, '/attendance/plan', {
    method: 'POST',
    body: JSON.stringify({ ...MAY, users }),
  })
  const plan = (await response.json()) as { sources: { source: string; plannedCalls: number }[] }
  return plan.sources.find((source) => source.source === 'feishu')?.plannedCalls ?? Number.NaN
}

function checkPercents(t: Test, seen: ExportJob[]) {
  const percents = seen.map((job) => job.progress.percent)
  const drop = percents.findIndex((percent, index) => index > 0 && percent < (percents[index - 1] as number))
  t.equal(drop, -1, `percent never went down over ${percents.length} polls (${percents.at(-1)} at the end)`)
}

/** A CSV cell as csv-stringify writes it: empty for null, formulas neutralized (csv-encoder.ts). */
function csvCell(cell: string | number | boolean | null): string {
  if (cell === null) return ''
  const text = String(cell)
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
}

/**
 * The finished job's file against the same query asked of a replica directly: every row of the CSV is a
 * row of the answer's days, in the answer's order, each (source, userId, workDate, segment) once, and the
 * download is the bytes `file.sha256` names.
 */
async function checkFile(t: Test, replica: Replica, job: ExportJob, users: string[]) {
  const response = await api(replica, `/attendance/exports/${job.id}/file`)
  t.equal(response.status, 200, 'the file is served')
  const bytes = Buffer.from(await response.arrayBuffer())
  t.equal(createHash('sha256').update(bytes).digest('hex'), job.file?.sha256, 'sha256 of the download')
  t.equal(bytes.length, job.file?.bytes, 'and its size, as the job says')

  const rows = parse(bytes, { columns: true, bom: true }) as Record<string, string>[]
  const keys = rows.map((row) => [row.source, row.userId, row.workDate, row.segment].join('|'))
  t.equal(new Set(keys).size, keys.length, `${keys.length} rows, each (userId, workDate, segment) once`)

  const direct = await api(replica, '/attendance/results', {
    method: 'POST',
    body: JSON.stringify({ ...MAY, users, format: 'json' }),
  })
  const answer = (await direct.json()) as AttendanceResponse
  t.equal(answer.complete, true, 'the direct query is complete')
  t.equal(job.progress.days, answer.results.length, `the job wrote ${answer.results.length} days`)
  const days = new Set(rows.map((row) => `${row.source}|${row.userId}|${row.workDate}`))
  t.equal(days.size, answer.results.length, 'the file holds as many days as the direct answer')
  const columns = DAY_COLUMNS.filter((column) => column !== 'fetchedAt')
  const expected = answer.results.flatMap(dayRows).map((cells) => {
    const row: Record<string, string> = {}
    DAY_COLUMNS.forEach((column, index) => {
      row[column] = csvCell(cells[index] ?? null)
    })
    return columns.map((column) => row[column]).join(',')
  })
  const actual = rows.map((row) => columns.map((column) => row[column]).join(','))
  t.equal(actual.length, expected.length, `${expected.length} rows, as the direct answer's days make`)
  t.same(actual, expected, "the rows are the direct answer's days, in order, value for value (not fetchedAt)")
}

// Each test starts replicas of its own; side by side they take the time of the longer one.
t.jobs = 2

t.test('a replica SIGKILLed mid-job: another takes the job over and finishes it', async (t) => {
  const simulators = await startSimulators(t)
  // 300 Feishu users × 31 days: 12 calls at 1/s; 20 DingTalk users: about 19 pages at 1.5/s.
  const fleet = await fleetFor(t, writeSourcesFile(t, simulators, { feishu: 1, dingtalk: 1.5 }))
  const users = [...userList('feishu', 300), ...userList('dingtalk', 20)]
  const a = await startReplica(t, fleet, 'A')
  const fullPlan = await feishuPlannedCalls(a, users)
  t.equal(fullPlan, 12, 'Feishu plans 12 calls with nothing cached (6 chunks of users × 2 windows)')

  const posted = Date.now()
  let b: Replica | undefined
  const watch = new JobWatch(() => (b ? [b, a] : [a]), await postExport(a, { ...MAY, users, format: 'csv' }))
  t.teardown(() => watch.stop())
  const id = watch.job.id
  await watch.until(
    (view) => view.status === 'running' && dataCalls(simulators).feishu >= 3,
    'the job to run on A with vendor calls made',
    20_000,
  )

  // B starts while A holds the job, so it is A's until A dies.
  b = await startReplica(t, fleet, 'B')
  t.equal(watch.last.status, 'running', 'A still runs the job when B is up')
  t.equal((await fleet.record(id))?.attempts, 1, 'only A has run it')

  await a.kill()
  const killedAt = Date.now()
  const atKill = dataCalls(simulators)
  t.ok(atKill.feishu < fullPlan, `A had made ${atKill.feishu} of ${fullPlan} Feishu calls when it died`)

  // Nobody renews A's lock: B's stalled-job check finds the job and B runs it again.
  await until(
    async () => ((await fleet.record(id))?.attempts ?? 0) >= 2,
    "B's stalled-job check to take the job over",
    4 * LOCK_MS + 5000,
  )
  t.pass(`B took the job over ${Date.now() - killedAt} ms after A died (lock ${LOCK_MS} ms)`)

  const done = await watch.until((view) => FINAL.has(view.status), 'the job to finish on B', 60_000)
  const finishedMs = Date.now() - posted
  const afterKill = dataCalls(simulators)
  t.equal(done.status, 'succeeded', 'B finished the job')
  t.equal(done.complete, true, 'with every source complete')
  t.equal(done.progress.percent, 100)
  t.same(
    done.sources.map((source) => [source.source, source.status, source.missing.length]),
    [
      ['dingtalk', 'ok', 0],
      ['feishu', 'ok', 0],
    ],
  )
  await watch.stop()
  checkPercents(t, watch.seen)
  const refetched = afterKill.feishu - atKill.feishu
  t.ok(refetched > 0, `B called Feishu after A died (${refetched} calls)`)
  t.ok(
    refetched < fullPlan,
    `B made ${refetched} Feishu calls, fewer than the full plan of ${fullPlan}: the cache held A's`,
  )
  t.pass(`DingTalk: ${atKill.dingtalk} calls before A died, ${afterKill.dingtalk - atKill.dingtalk} after`)
  t.equal((await fleet.record(id))?.attempts, 2, 'two runs: A, then B')
  await checkFile(t, b, done, users)
  t.pass(`the job finished ${finishedMs} ms after it was posted`)

  await b.kill()
  t.equal((await fleet.record(id))?.status, 'succeeded', 'with both replicas gone the job is final')
})

t.test(
  'a replica SIGTERMed mid-job: it hands the job back within its grace, another finishes it',
  async (t) => {
    const simulators = await startSimulators(t)
    // 400 Feishu users × 31 days: 16 calls at 0.8/s, 20 s; more than SIGTERM's grace can finish.
    const fleet = await fleetFor(t, writeSourcesFile(t, simulators, { feishu: 0.8, dingtalk: 1.5 }))
    const users = [...userList('feishu', 400), ...userList('dingtalk', 20)]
    const a = await startReplica(t, fleet, 'A')
    const fullPlan = await feishuPlannedCalls(a, users)
    let b: Replica | undefined
    const watch = new JobWatch(
      () => (b ? [b, a] : [a]),
      await postExport(a, { ...MAY, users, format: 'csv' }),
    )
    t.teardown(() => watch.stop())
    const id = watch.job.id
    await watch.until(
      (view) => view.status === 'running' && view.progress.vendorCalls > 0,
      'the job to run on A',
      20_000,
    )
    b = await startReplica(t, fleet, 'B')
    await until(() => dataCalls(simulators).feishu >= 3, 'A to make a few Feishu calls', 10_000)
    t.equal((await fleet.record(id))?.attempts, 1, 'A runs the job')

    const signalledAt = Date.now()
    const atSignal = dataCalls(simulators)
    const viewsAtSignal = watch.seen.length
    a.child.kill('SIGTERM')
    const exit = await Promise.race([
      a.exited,
      new Promise<null>((resolve) => setTimeout(resolve, GRACE_MS + 10_000, null).unref()),
    ])
    const exitMs = exit ? exit.at - signalledAt : Number.NaN
    t.ok(exit, 'A exited')
    t.equal(exit?.code, 0, 'with code 0', { output: a.output.text })
    t.ok(exitMs < GRACE_MS + 5000, `${exitMs} ms after SIGTERM (grace at most ${GRACE_MS} ms)`)
    t.equal(a.output.text, '', 'A logged no warning or error on its way out')
    const atExit = dataCalls(simulators)
    t.ok(
      atExit.feishu > atSignal.feishu,
      `A kept calling during its grace (${atExit.feishu - atSignal.feishu})`,
    )
    t.ok(atExit.feishu < fullPlan, `A had made ${atExit.feishu} of ${fullPlan} Feishu calls when it left`)
    const graceViews = watch.seen.slice(viewsAtSignal).map((view) => view.status)
    t.ok(
      graceViews.length > 0 && graceViews.every((status) => status === 'running' || status === 'queued'),
      `through A's grace the job showed ${[...new Set(graceViews)].join(', ')} (${graceViews.length} polls of B)`,
    )

    // Handed back, not left for the lock to expire: B has the job at once.
    await until(
      async () => {
        const record = await fleet.record(id)
        return record !== null && (record.attempts >= 2 || FINAL.has(record.status))
      },
      'B to take the handed-back job',
      LOCK_MS + 5000,
    )
    const takenMs = Date.now() - (exit?.at ?? 0)
    t.equal((await fleet.record(id))?.attempts, 2, `B runs the job ${takenMs} ms after A exited`)

    const done = await watch.until((view) => FINAL.has(view.status), 'the job to finish on B', 60_000)
    t.equal(done.status, 'succeeded', 'B finished the job')
    t.equal(done.complete, true)
    t.equal(done.progress.percent, 100)
    await watch.stop()
    checkPercents(t, watch.seen)
    const statuses = watch.seen
      .map((view) => view.status)
      .filter((status, index, all) => status !== all[index - 1])
    t.pass(`statuses shown: ${statuses.join(' → ')}`)
    t.notOk(
      watch.seen.some((view) => view.status === 'failed' || view.status === 'cancelled' || view.error),
      'never failed or cancelled on the way',
    )
    const refetched = dataCalls(simulators).feishu - atExit.feishu
    t.ok(refetched > 0 && refetched < fullPlan, `B made ${refetched} of the ${fullPlan} Feishu calls`)
    await checkFile(t, b, done, users)

    // Nobody left: the job's record, read from Redis, is final.
    const stoppedAt = Date.now()
    b.child.kill('SIGTERM')
    const bExit = await b.exited
    t.equal(bExit.code, 0, `B, with no job, exited 0 in ${bExit.at - stoppedAt} ms`)
    t.equal((await fleet.record(id))?.status, 'succeeded', 'with both replicas gone the job is final')
  },
)
