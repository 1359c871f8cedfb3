// `npm run bench`: builds the service, runs every scenario against the simulators on loopback, and rewrites
// bench/RESULTS.md. `npm run bench -- large-query memory` runs only those scenarios and prints their
// sections without touching RESULTS.md; `npm run bench -- --update cache-lookup` runs only those and
// replaces their sections and target rows in RESULTS.md, keeping the rest.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { ROOT } from './lib/processes.js'
import type { BenchContext, ScenarioReport, TargetLine } from './lib/report.js'
import { table } from './lib/report.js'
import { mergeResults } from './lib/results-file.js'
import { fixed } from './lib/stats.js'
import { cacheCoalescing } from './scenarios/cache-coalescing.js'
import { cacheLookup } from './scenarios/cache-lookup.js'
import { cacheRepeat } from './scenarios/cache-repeat.js'
import { cacheRead } from './scenarios/cache-thin.js'
import { exportsScenario } from './scenarios/exports.js'
import { largeQuery } from './scenarios/large-query.js'
import { memoryAtScale } from './scenarios/memory.js'
import { naiveBaseline } from './scenarios/naive.js'
import { normalization } from './scenarios/normalization.js'
import { overhead } from './scenarios/overhead.js'
import { pausedReader } from './scenarios/paused-reader.js'
import { replicas } from './scenarios/replicas.js'
import { starvedCpu } from './scenarios/starved-cpu.js'
import { summariesScenario } from './scenarios/summaries.js'

const started = performance.now()
const elapsed = () => `${fixed((performance.now() - started) / 1000, 0)} s`
const context: BenchContext = {
  workDir: mkdtempSync(join(os.tmpdir(), 'attendance-bench-')),
  progress: (message) => console.log(`[${elapsed()}] ${message}`),
}
const update = process.argv.includes('--update')
const selected = process.argv.slice(2).filter((arg) => arg !== '--update')
if (update && selected.length === 0) {
  console.error('--update needs the names of the scenarios to rerun')
  process.exit(2)
}
const wanted = (name: string) => selected.length === 0 || selected.includes(name)
const loadAtStart = os.loadavg()

context.progress(`building dist/ (npm run build); logs in ${context.workDir}`)
execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: ROOT,
  stdio: 'inherit',
})

const reports: ScenarioReport[] = []
const failures: string[] = []
const known = new Set<string>()
async function scenario<T extends ScenarioReport>(
  name: string,
  run: () => Promise<T>,
): Promise<T | undefined> {
  known.add(name)
  if (!wanted(name)) return undefined
  context.progress(`${name}: starting`)
  try {
    const report = await run()
    reports.push(report)
    context.progress(`${name}: done`)
    return report
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
    failures.push(`${name}: ${message}`)
    context.progress(`${name}: FAILED\n${message}`)
    return undefined
  }
}

const large = await scenario('large-query', () => largeQuery(context))
await scenario('replicas', () => replicas(context))
await scenario('starved-cpu', () => starvedCpu(context))
await scenario('naive', () => naiveBaseline(context, large?.wallS))
await scenario('overhead', () => overhead(context))
await scenario('normalization', () => normalization(context))
await scenario('memory', () => memoryAtScale(context))
await scenario('paused-reader', () => pausedReader(context))
await scenario('exports', () => exportsScenario(context))
await scenario('summaries', () => summariesScenario(context))
// The result cache: the coalescing scenario compares with the cold query of cache-repeat when it ran.
const repeat = await scenario('cache-repeat', () => cacheRepeat(context))
await scenario('cache-coalescing', () => cacheCoalescing(context, repeat?.coldCalls))
await scenario('cache-lookup', () => cacheLookup(context))
await scenario('cache-read', () => cacheRead(context))
for (const name of selected.filter((name) => !known.has(name))) {
  failures.push(`${name}: no such scenario (there are ${[...known].join(', ')})`)
}

const totalS = (performance.now() - started) / 1000
const markdown = render(reports, failures, totalS)
const resultsPath = join(ROOT, 'bench/RESULTS.md')
if (selected.length === 0) {
  writeFileSync(resultsPath, markdown)
  context.progress(`wrote bench/RESULTS.md in ${elapsed()}`)
} else if (update && failures.length === 0) {
  const load = os.loadavg()
  writeFileSync(
    resultsPath,
    mergeResults(readFileSync(resultsPath, 'utf8'), reports, targetRow, {
      names: selected,
      detail: `on ${new Date().toISOString()}, in ${fixed(totalS, 0)} s (build included), commit ${git(['rev-parse', 'HEAD'])}${dirty()}, load average (1 min) ${fixed(loadAtStart[0] ?? 0)} / ${fixed(load[0] ?? 0)}: ${reports.map((report) => `"${report.title}"`).join(', ')}. The other sections are from the full run above.`,
    }),
  )
  console.log(markdown)
  context.progress(`updated ${reports.length} sections of bench/RESULTS.md in ${elapsed()}`)
} else {
  console.log(markdown)
  if (update) context.progress('bench/RESULTS.md left as it was: a scenario failed')
}
process.exit(failures.length > 0 ? 1 : 0)

function targetRow(line: TargetLine): string[] {
  return [line.figure, line.value, line.target, line.met === null ? '' : line.met ? 'met' : '**not met**']
}

function render(reports: ScenarioReport[], failures: string[], totalS: number): string {
  const targets: TargetLine[] = reports.flatMap((report) => report.targets)
  const loadAtEnd = os.loadavg()
  return [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString()}, in ${fixed(totalS, 0)} s (build included).`,
    '',
    table(
      ['machine', ''],
      [
        ['CPUs (nproc)', `${os.availableParallelism()} × ${os.cpus()[0]?.model ?? 'unknown'}`],
        ['memory', `${fixed(os.totalmem() / 1024 ** 3, 1)} GiB`],
        ['Node.js', process.version],
        ['OS', `${os.type()} ${os.release()}`],
        ['commit', `${git(['rev-parse', 'HEAD'])}${dirty()}`],
        [
          'load average (1 min) at start / end',
          `${fixed(loadAtStart[0] ?? 0)} / ${fixed(loadAtEnd[0] ?? 0)}`,
        ],
      ],
    ),
    '',
    'This machine is shared with other engineers running test suites while the benchmark runs, so absolute',
    'times move from run to run. Every figure is therefore a ratio to a baseline or a limit measured in the',
    'same run (a floor computed from the vendor limits, the simulators alone, the naive loop), each the',
    'median of several runs, with every run shown. All traffic is on loopback: the service (`node',
    'dist/service/server.js`), the simulators (`node dist/simulators/cli.js`, one process per vendor) and the load',
    'generator are separate processes; Redis is the one `npm run bench` finds or starts.',
    '',
    '## Targets',
    '',
    table(['figure', 'measured', 'target', ''], targets.map(targetRow)),
    ...(failures.length > 0
      ? [
          '',
          '## Scenarios that failed to run',
          '',
          ...failures.map((failure) => `    ${failure.replaceAll('\n', '\n    ')}`),
        ]
      : []),
    ...reports.flatMap((report) => ['', `## ${report.title}`, '', report.body]),
    '',
  ].join('\n')
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

function dirty(): string {
  const changed = git(['status', '--porcelain']).split('\n').filter(Boolean).length
  return changed > 0 ? ` (+ ${changed} uncommitted paths in the working tree)` : ''
}
