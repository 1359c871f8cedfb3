#!/usr/bin/env node
// The suite in parts. `npm test` runs every part, one after another, and then prints how long each took;
// `npm run test:<part>` runs one. A part is a set of folders under test/ and the way tap runs them:
// in parallel when its files measure no time, one file at a time when they do (timing tests on 2 cores
// must not share them with another test file). A folder that no part names runs with `unit`, so a new
// folder is never left out; test/scripts/test-parts.test.ts checks that every file is in exactly one part.
//
//   node scripts/test-parts.mjs [part ...] [tap options] [test files or folders, to run only those]
//   node scripts/test-parts.mjs --list        the parts and their files, as JSON
//
// Every part may use the Redis that scripts/with-redis.mjs provides (TEST_REDIS_URL): run this under it.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../', import.meta.url))
const tapBin = join(root, 'node_modules/.bin/tap')

export const PARTS = [
  {
    name: 'unit',
    summary: 'in-process: domain, vendors, routes through app.inject, config, security, fuzzing',
    // Two files at a time on a 2-core machine. They time nothing, so sharing the cores slows them down
    // without changing their results; Redis users among them take a key prefix of their own.
    jobs: 2,
    folders: null, // every folder that the other parts do not name
  },
  {
    name: 'integration',
    summary: 'the simulators over HTTP, replicas on Redis, injected faults, outages, child processes',
    // One file at a time: these measure rates, peaks, deadlines and timeouts.
    jobs: 1,
    folders: ['integration', 'faults', 'simulators', 'store', 'server'],
  },
  {
    name: 'packaging',
    summary: "the Dockerfile's steps replayed, docker-compose.yml, Swagger UI in Chromium, the npm scripts",
    // One file at a time: the Dockerfile replay runs npm ci and tsc, the browser test a Chromium.
    jobs: 1,
    folders: ['packaging', 'browser', 'scripts'],
  },
]

function testFiles(dir) {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort()
}

/** The test files of each part, by part name. */
export function filesByPart() {
  const named = new Set(PARTS.flatMap((part) => part.folders ?? []))
  const all = testFiles('test')
  const folderOf = (file) => file.split('/')[1]
  return Object.fromEntries(
    PARTS.map((part) => [
      part.name,
      all.filter((file) =>
        part.folders ? part.folders.includes(folderOf(file)) : !named.has(folderOf(file)),
      ),
    ]),
  )
}

/** tap's closing summary, `# { total: 9, pass: 8, fail: 1 }` (skip and todo when there are some). */
function counts(output) {
  const summary = [...output.matchAll(/^# \{ (total: \d+[^}]*) \}$/gm)].at(-1)?.[1]
  if (!summary) return null
  return Object.fromEntries(
    summary.split(', ').map((pair) => [pair.split(': ')[0], Number(pair.split(': ')[1])]),
  )
}

/**
 * The test hook that holds every answer of a helper-built app against the OpenAPI document
 * (test/helpers/openapi-hook.ts) adds a line per test process to this run's file: their sum, or null.
 */
function hookTally(file) {
  if (!existsSync(file)) return null
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
  rmSync(file, { force: true })
  const sum = (key) => lines.reduce((total, line) => total + (line[key] ?? 0), 0)
  return { validated: sum('validated'), mismatches: sum('mismatches'), outside: sum('outside') }
}

function run(part, files, extra) {
  const args = [`--jobs=${part.jobs}`, ...extra, ...files]
  return new Promise((resolve) => {
    const started = performance.now()
    // At a terminal tap draws its progress; elsewhere (CI, a pipe) its output is read for the counts.
    const tty = process.stdout.isTTY
    // tap on this script's Node (npm scripts: the project's Node 24), which runs the tests on it too.
    const child = spawn(process.execPath, [tapBin, ...args], {
      cwd: root,
      stdio: ['inherit', tty ? 'inherit' : 'pipe', 'inherit'],
    })
    let tail = ''
    child.stdout?.on('data', (chunk) => {
      process.stdout.write(chunk)
      tail = (tail + chunk).slice(-2000)
    })
    const forward = (signal) => child.kill(signal)
    process.on('SIGINT', forward)
    process.on('SIGTERM', forward)
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward)
      process.off('SIGTERM', forward)
      const seconds = (performance.now() - started) / 1000
      resolve({ part: part.name, files: files.length, ok: code === 0, seconds, signal, counts: counts(tail) })
    })
  })
}

async function main(argv) {
  const files = filesByPart()
  if (argv.includes('--list')) {
    console.log(JSON.stringify(files, null, 2))
    return 0
  }
  // Bare words are parts; options go to tap; paths (a file or a folder) narrow the parts to those files.
  const args = argv.filter((arg) => arg !== '--')
  const extra = args.filter((arg) => arg.startsWith('-'))
  const paths = args
    .filter((arg) => !arg.startsWith('-') && /[/.]/.test(arg))
    .map((arg) => arg.replace(/^\.\//, ''))
  const names = args.filter((arg) => !arg.startsWith('-') && !/[/.]/.test(arg))
  const unknown = names.filter((name) => !PARTS.some((part) => part.name === name))
  if (unknown.length > 0) {
    console.error(
      `unknown part ${unknown.join(', ')}; the parts are ${PARTS.map((part) => part.name).join(', ')}`,
    )
    return 2
  }
  // A path names a file, or a folder and everything under it.
  const matches = (file, path) => file === path || file.startsWith(`${path.replace(/\/$/, '')}/`)
  const unmatched = paths.filter(
    (path) =>
      !Object.values(files)
        .flat()
        .some((file) => matches(file, path)),
  )
  if (unmatched.length > 0) {
    console.error(`no test file at ${unmatched.join(', ')}`)
    return 2
  }
  const chosen = []
  for (const part of PARTS) {
    files[part.name] = files[part.name].filter(
      (file) => paths.length === 0 || paths.some((path) => matches(file, path)),
    )
    if ((names.length === 0 || names.includes(part.name)) && files[part.name].length > 0) chosen.push(part)
  }
  if (chosen.length === 0) {
    console.error(`none of ${paths.join(', ')} is in part ${names.join(', ')}`)
    return 2
  }
  // Every test process of this run (tap passes the environment on) counts into one file of its own.
  const tallyFile = join(tmpdir(), `attendance-openapi-hook-${process.pid}.ndjson`)
  process.env.OPENAPI_HOOK_TALLY = tallyFile
  rmSync(tallyFile, { force: true })
  const results = []
  for (const part of chosen) {
    console.log(
      `# part ${part.name} (${files[part.name].length} files, ${part.jobs} at a time): ${part.summary}`,
    )
    const result = await run(part, files[part.name], extra)
    results.push(result)
    if (result.signal) break // interrupted: do not start the next part
  }
  const tally = hookTally(tallyFile)
  if (tally) {
    console.log(
      `# openapi hook: ${tally.validated} answers held against the document, ${tally.mismatches} mismatched, ${tally.outside} outside it`,
    )
  }
  const line = (result) =>
    `#   ${result.part.padEnd(12)} ${String(result.files).padStart(3)} files  ${result.seconds.toFixed(1).padStart(6)} s  ${result.ok ? 'passed' : 'FAILED'}`
  console.log(['# parts:', ...results.map(line)].join('\n'))
  const total = results.reduce((sum, result) => sum + result.seconds, 0)
  console.log(`# all parts: ${total.toFixed(1)} s`)
  if (results.every((result) => result.counts)) {
    const sum = (key) => results.reduce((total, result) => total + (result.counts[key] ?? 0), 0)
    const skipped = sum('skip') + sum('todo')
    console.log(
      `assertions: ${sum('pass')} passed, ${sum('fail')} failed${skipped ? `, ${skipped} skipped` : ''}`,
    )
  }
  return results.every((result) => result.ok) && results.length === chosen.length ? 0 : 1
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2))
}
