// `attendance plan`: what an export or query of these users and dates would cost, per source, before it
// runs (POST /attendance/plan): how much the cache answers, the vendor calls the rest takes, the time at
// the rate limit, and whether the month's budget covers it.
import type { Command } from 'commander'
import { ApiClient } from './api-client.js'
import type { PlanAnswer, SourcePlan } from './api-types.js'
import {
  addConnectionOptions,
  addQueryOptions,
  type ConnectionOptions,
  type QueryOptions,
  queryFields,
} from './options.js'
import { formatDuration } from './progress.js'
import { formatTable } from './table.js'

interface PlanOptions extends ConnectionOptions, QueryOptions {
  json?: boolean
}

// A second is the unit of the rest of the CLI; a plan of a few calls takes a fraction of one.
const planTime = (seconds: number) => (seconds > 0 && seconds < 1 ? '<1s' : formatDuration(seconds))

function budgetCell(plan: SourcePlan): string {
  if (plan.budget === null) return '-'
  const over = plan.plannedCalls > plan.budget.remaining ? ' OVER' : ''
  return `${plan.budget.remaining}/${plan.budget.limit}${over}`
}

export function formatPlan(answer: PlanAnswer): string {
  const rows = answer.sources.map((plan) => [
    plan.source,
    plan.vendor,
    String(plan.userDays),
    String(plan.cached),
    String(plan.toFetch),
    // DingTalk's pages are known only as they come: its count is the service's estimate.
    `${plan.plannedCallsAreEstimate ? '~' : ''}${plan.plannedCalls}`,
    planTime(plan.estimatedSeconds),
    budgetCell(plan),
  ])
  const table = formatTable(
    [
      { header: 'SOURCE' },
      { header: 'VENDOR' },
      { header: 'USER-DAYS', right: true },
      { header: 'CACHED', right: true },
      { header: 'TO FETCH', right: true },
      { header: 'CALLS', right: true },
      { header: 'TIME', right: true },
      { header: 'BUDGET LEFT', right: true },
    ],
    rows,
  )
  // Sources run side by side, so the slowest one is how long the whole query takes.
  const slowest = Math.max(0, ...answer.sources.map((plan) => plan.estimatedSeconds))
  const calls = answer.sources.reduce((sum, plan) => sum + plan.plannedCalls, 0)
  return `${answer.from}..${answer.to}\n${table}\n${calls} vendor calls, about ${planTime(slowest)}`
}

export function registerPlanCommand(program: Command): void {
  const command = program
    .command('plan')
    .summary('preview what an export would cost: cached days, vendor calls, time, budget')
    .description(
      'Ask the service what a query of these users and dates would cost, per source, without any vendor call: the user-days the cache answers, the vendor calls the rest takes and the time they take at the rate limit.',
    )
    .addHelpText(
      'after',
      `
In the table, ~ before CALLS marks an estimate (DingTalk's pages are known only as they come),
and OVER a plan that needs more calls than the month's budget has left.

Exit status: 0 printed, 1 the service refused or could not be reached, 2 usage.`,
    )
  addQueryOptions(command).option('--json', 'print the service answer as JSON')
  addConnectionOptions(command).action(async (options: PlanOptions) => {
    const answer = await new ApiClient(options).plan(await queryFields(options))
    process.stdout.write(`${options.json ? JSON.stringify(answer, null, 2) : formatPlan(answer)}\n`)
  })
}
