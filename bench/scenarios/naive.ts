// What a user writes without this service: sequential loops, one user at a time, no retry when throttled.
// Feishu through the official SDK (@larksuiteoapi/node-sdk, one tenant token cached by the SDK); DingTalk
// with plain fetch (gettoken once, then attendance/list per user per week, following hasMore). Run on a
// subset of the users against the same simulators (same limits and latency) and extrapolated linearly to
// the large query's 500 + 500 users.
import * as lark from '@larksuiteoapi/node-sdk'
import { compact, datesOf, expectedDays, userIds } from '../lib/plan-minimum.js'
import { startSimulators } from '../lib/processes.js'
import type { BenchContext, ScenarioReport } from '../lib/report.js'
import { table } from '../lib/report.js'
import { configure, counters, resetCounters } from '../lib/simulator-admin.js'
import { fixed, median, medianOf } from '../lib/stats.js'
import { AT_THE_LIMITS, DINGTALK_USERS, FEISHU_USERS, FROM, RUNS, TO } from '../lib/workload.js'

/** Users per loop: a subset small enough to keep the benchmark short; times scale linearly with users. */
const SUBSET = { feishuPerWindow: 50, feishuPerDay: 5, dingtalk: 50 }

interface LoopResult {
  seconds: number
  calls: number
  /** Calls the client saw fail (throttled or otherwise); a naive loop moves on. */
  failed: number
  days: Set<string>
}

const silent = { error() {}, warn() {}, info() {}, debug() {}, trace() {} }

/** Feishu via the SDK, one user per call; `windowDays` 30: per 30-day window, 1: per day. */
async function feishuLoop(url: string, users: readonly string[], windowDays: number): Promise<LoopResult> {
  const client = new lark.Client({
    appId: 'cli_simulator',
    appSecret: 'simulator-secret',
    domain: url,
    appType: lark.AppType.SelfBuild,
    logger: silent,
  })
  const dates = datesOf(FROM, TO)
  const result: LoopResult = { seconds: 0, calls: 0, failed: 0, days: new Set() }
  const started = performance.now()
  for (const userId of users) {
    for (let start = 0; start < dates.length; start += windowDays) {
      const window = dates.slice(start, start + windowDays)
      result.calls++
      try {
        const answer = await client.attendance.v1.userTask.query({
          params: { employee_type: 'employee_id' },
          data: {
            user_ids: [userId],
            check_date_from: compact(window[0] as string),
            check_date_to: compact(window.at(-1) as string),
          },
        })
        if (answer.code !== 0) result.failed++
        for (const task of answer.data?.user_task_results ?? [])
          result.days.add(`${task.user_id}|${task.day}`)
      } catch {
        result.failed++ // HTTP 429 99991400: what a loop without retry does is log it and go on
      }
    }
  }
  result.seconds = (performance.now() - started) / 1000
  return result
}

interface DingTalkListBody {
  errcode?: number
  hasMore?: boolean
  recordresult?: { userId: string; workDate: number }[]
}

async function dingTalkLoop(url: string, users: readonly string[]): Promise<LoopResult> {
  const result: LoopResult = { seconds: 0, calls: 0, failed: 0, days: new Set() }
  const started = performance.now()
  const tokenAnswer = (await (
    await fetch(`${url}/gettoken?appkey=simulator-key&appsecret=simulator-secret`)
  ).json()) as { access_token: string }
  const dates = datesOf(FROM, TO)
  for (const userId of users) {
    for (let start = 0; start < dates.length; start += 7) {
      const week = dates.slice(start, start + 7)
      for (let offset = 0; ; offset += 50) {
        result.calls++
        const response = await fetch(`${url}/attendance/list?access_token=${tokenAnswer.access_token}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            workDateFrom: `${week[0]} 00:00:00`,
            workDateTo: `${week.at(-1)} 00:00:00`,
            userIdList: [userId],
            offset,
            limit: 50,
          }),
        })
        const body = (await response.json()) as DingTalkListBody
        if (body.errcode !== 0) {
          result.failed++
          break
        }
        for (const row of body.recordresult ?? []) {
          // workDate is the local midnight (+08:00) of the work day.
          result.days.add(
            `${row.userId}|${new Date(row.workDate + 8 * 3_600_000).toISOString().slice(0, 10)}`,
          )
        }
        if (!body.hasMore) break
      }
    }
  }
  result.seconds = (performance.now() - started) / 1000
  return result
}

interface Run {
  perWindow: LoopResult
  perDay: LoopResult
  dingtalk: LoopResult
  refusedFeishu: number
  refusedDingTalk: number
}

export async function naiveBaseline(
  context: BenchContext,
  serviceWallS: number | undefined,
): Promise<ScenarioReport> {
  const perWindowUsers = userIds('nw', SUBSET.feishuPerWindow)
  const perDayUsers = userIds('nd', SUBSET.feishuPerDay)
  const dingTalkUsers = userIds('nk', SUBSET.dingtalk)
  const truth = {
    perWindow: expectedDays(perWindowUsers, [], FROM, TO).feishu,
    perDay: expectedDays(perDayUsers, [], FROM, TO).feishu,
    dingtalk: expectedDays([], dingTalkUsers, FROM, TO).dingtalk,
  }
  const simulators = await startSimulators(context.workDir)
  const runs: Run[] = []
  try {
    await configure(simulators.feishuUrl, AT_THE_LIMITS.feishu)
    await configure(simulators.dingtalkUrl, AT_THE_LIMITS.dingtalk)
    for (let run = 1; run <= RUNS; run++) {
      await resetCounters(simulators.feishuUrl)
      await resetCounters(simulators.dingtalkUrl)
      // The two vendors' loops run side by side (they share nothing) to save time; each is timed alone and
      // the naive script's time is their sum, as it would run them one after the other.
      const [feishu, dingtalk] = await Promise.all([
        (async () => {
          const perWindow = await feishuLoop(simulators.feishuUrl, perWindowUsers, 30)
          const perDay = await feishuLoop(simulators.feishuUrl, perDayUsers, 1)
          return { perWindow, perDay }
        })(),
        dingTalkLoop(simulators.dingtalkUrl, dingTalkUsers),
      ])
      runs.push({
        ...feishu,
        dingtalk,
        refusedFeishu: (await counters(simulators.feishuUrl)).refusedRateLimit,
        refusedDingTalk: (await counters(simulators.dingtalkUrl)).refusedRateLimit,
      })
      context.progress(
        `naive run ${run}: Feishu per window ${fixed(feishu.perWindow.seconds)} s, per day ${fixed(feishu.perDay.seconds)} s, DingTalk ${fixed(dingtalk.seconds)} s`,
      )
    }
  } finally {
    await simulators.stop()
  }

  const of = (pick: (run: Run) => number) => runs.map(pick)
  const scale = {
    perWindow: FEISHU_USERS.length / SUBSET.feishuPerWindow,
    perDay: FEISHU_USERS.length / SUBSET.feishuPerDay,
    dingtalk: DINGTALK_USERS.length / SUBSET.dingtalk,
  }
  // Extrapolated to 500 + 500 users: Feishu loop then DingTalk loop.
  const naiveS = of((run) => run.perWindow.seconds * scale.perWindow + run.dingtalk.seconds * scale.dingtalk)
  const naivePerDayS = of((run) => run.perDay.seconds * scale.perDay + run.dingtalk.seconds * scale.dingtalk)
  const lost = (pick: (run: Run) => LoopResult, expected: number) =>
    of((run) => expected - pick(run).days.size)
  const speedUp = serviceWallS ? median(naiveS) / serviceWallS : Number.NaN
  const speedUpPerDay = serviceWallS ? median(naivePerDayS) / serviceWallS : Number.NaN
  const refusals = of((run) => run.refusedFeishu + run.refusedDingTalk)
  const lostDays = of(
    (run) =>
      truth.perWindow -
      run.perWindow.days.size +
      truth.perDay -
      run.perDay.days.size +
      truth.dingtalk -
      run.dingtalk.days.size,
  )

  const body = [
    'A naive client: sequential loops, one user per call, no retry when throttled (a refused call is logged and skipped, as such scripts usually do), against the same simulators at the same limits and 50 ms latency.',
    '',
    `- **Feishu, per user per 30-day window** (the main baseline: the user knows the 30-day rule but not the 50-user batch): \`client.attendance.v1.userTask.query\` of the official SDK, ${SUBSET.feishuPerWindow} users × 31 days = ${SUBSET.feishuPerWindow * 2} calls.`,
    `- **Feishu, per user per day** (the loop "over users and dates" taken literally): the same SDK call, ${SUBSET.feishuPerDay} users × 31 days = ${SUBSET.feishuPerDay * 31} calls.`,
    `- **DingTalk**: \`fetch\`, gettoken once, then \`attendance/list\` per user per 7-day week, following \`hasMore\`: ${SUBSET.dingtalk} users × 5 weeks.`,
    '',
    `The subsets' times are extrapolated linearly to the large query's 500 + 500 users (×${scale.perWindow}, ×${scale.perDay}, ×${scale.dingtalk}): the loops are sequential, so time is calls × per-call time. The Feishu and DingTalk loops ran side by side (separate vendors, nothing shared); the naive script's time is their sum. Days lost: days the simulators hold for the subset users minus days the loop got.`,
    '',
    table(
      ['figure', 'median (runs)'],
      [
        ['Feishu per window, subset, s', medianOf(of((run) => run.perWindow.seconds))],
        ['Feishu per day, subset, s', medianOf(of((run) => run.perDay.seconds))],
        ['DingTalk per week, subset, s', medianOf(of((run) => run.dingtalk.seconds))],
        ['naive, extrapolated to 1,000 users (Feishu per window + DingTalk), s', medianOf(naiveS, 0)],
        ['naive, extrapolated, Feishu per day + DingTalk, s', medianOf(naivePerDayS, 0)],
        ['service, large query (scenario above), s', serviceWallS ? fixed(serviceWallS) : 'not run'],
        ['**speed-up** (naive per window / service)', `**${fixed(speedUp, 1)}×**`],
        ['speed-up against the per-day loop', `${fixed(speedUpPerDay, 1)}×`],
        ['vendor refusals suffered by the naive loops (simulator counters)', medianOf(refusals, 0)],
        [
          'failed calls the naive loops saw',
          medianOf(
            of((run) => run.perWindow.failed + run.perDay.failed + run.dingtalk.failed),
            0,
          ),
        ],
        [
          'days lost, all three loops',
          `${medianOf(lostDays, 0)} of ${truth.perWindow + truth.perDay + truth.dingtalk}`,
        ],
        [
          '…Feishu per window',
          medianOf(
            lost((run) => run.perWindow, truth.perWindow),
            0,
          ),
        ],
        [
          '…Feishu per day',
          medianOf(
            lost((run) => run.perDay, truth.perDay),
            0,
          ),
        ],
        [
          '…DingTalk',
          medianOf(
            lost((run) => run.dingtalk, truth.dingtalk),
            0,
          ),
        ],
      ],
    ),
    '',
    median(refusals) === 0
      ? `A strictly sequential loop waits for each answer (50 ms here), so it stays just under 20 calls a second: it is slow rather than refused, and lost nothing in these runs. It would lose days as soon as it is made concurrent, or wherever answers come faster than the limit allows, because it does not retry; the service paces itself to the limit and retries what it is refused, so its answers are complete.`
      : `The naive loops were refused ${fixed(median(refusals), 0)} times (median) and, since they do not retry, lost ${fixed(median(lostDays), 0)} days; the service retries what it is refused, so its answers are complete.`,
  ].join('\n')

  return {
    title: 'Naive baseline',
    body,
    targets: [
      {
        figure: 'naive baseline: speed-up of the service (extrapolated)',
        value: `${fixed(speedUp, 1)}×`,
        target: 'reported',
        met: null,
      },
      {
        figure: 'naive baseline: refusals / days lost (median)',
        value: `${fixed(median(refusals), 0)} / ${fixed(median(lostDays), 0)}`,
        target: 'reported',
        met: null,
      },
    ],
  }
}
