// `npm run bench -- --update <scenario>…`: the named scenarios' sections and target rows replaced in (or
// added to) bench/RESULTS.md, every other section left as the last full run wrote it, and a line under
// the header that says what was rerun, when and on which commit.
import type { ScenarioReport, TargetLine } from './report.js'
import { table } from './report.js'

interface Parsed {
  /** Everything before "## Targets". */
  head: string[]
  /** The targets table's rows, cells as written. */
  targets: string[][]
  /** Sections after the targets, title without "## ", lines of the body (blank lines at the ends dropped). */
  sections: { title: string; body: string[] }[]
}

const UPDATE_MARK = 'Updated by `npm run bench -- --update'

export function mergeResults(
  existing: string,
  reports: readonly ScenarioReport[],
  rows: (line: TargetLine) => string[],
  update: { names: readonly string[]; detail: string },
): string {
  const parsed = parse(existing)
  // Target rows belong to a scenario by the text before the colon ("warm repeat: …").
  const owner = (figure: string) => figure.split(':')[0]?.trim() ?? figure
  const replaced = new Set(reports.flatMap((report) => report.targets.map((line) => owner(line.figure))))
  const fresh = reports.flatMap((report) => report.targets.map(rows))
  const firstReplaced = parsed.targets.findIndex((row) => replaced.has(owner(row[0] ?? '')))
  const kept = parsed.targets.filter((row) => !replaced.has(owner(row[0] ?? '')))
  const at = firstReplaced < 0 ? kept.length : Math.min(firstReplaced, kept.length)
  const targets = [...kept.slice(0, at), ...fresh, ...kept.slice(at)]

  const sections = [...parsed.sections]
  for (const report of reports) {
    const section = { title: report.title, body: report.body.split('\n') }
    const index = sections.findIndex((known) => known.title === report.title)
    if (index >= 0) sections[index] = section
    else sections.push(section)
  }

  // A line per update whose sections are still in the file: one that reran only scenarios rerun now goes.
  const mark = `${UPDATE_MARK} ${update.names.join(' ')}\``
  const rerun = new Set(update.names)
  const head = parsed.head.filter((line) => {
    if (!line.startsWith(UPDATE_MARK)) return true
    const names = line.slice(UPDATE_MARK.length).split('`')[0]?.trim().split(/\s+/) ?? []
    return !names.every((name) => rerun.has(name))
  })
  while (head.at(-1) === '') head.pop()
  return [
    ...head,
    '',
    `${mark} ${update.detail}`,
    '',
    '## Targets',
    '',
    table(['figure', 'measured', 'target', ''], targets),
    ...sections.flatMap((section) => ['', `## ${section.title}`, '', ...section.body]),
    '',
  ].join('\n')
}

function parse(text: string): Parsed {
  const lines = text.split('\n')
  const parsed: Parsed = { head: [], targets: [], sections: [] }
  let current: { title: string; body: string[] } | 'head' | 'targets' = 'head'
  for (const line of lines) {
    if (line.startsWith('## ')) {
      const title = line.slice(3).trim()
      if (title === 'Targets') current = 'targets'
      else {
        current = { title, body: [] }
        parsed.sections.push(current)
      }
      continue
    }
    if (current === 'head') parsed.head.push(line)
    else if (current === 'targets') {
      if (!line.startsWith('|')) continue
      const cells = line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim())
      if (cells[0] === 'figure' || cells.every((cell) => /^-+$/.test(cell))) continue
      parsed.targets.push(cells)
    } else current.body.push(line)
  }
  for (const section of parsed.sections) {
    while (section.body[0] === '') section.body.shift()
    while (section.body.at(-1) === '') section.body.pop()
  }
  return parsed
}
