// What every scenario hands back to bench/run.ts: a section of RESULTS.md and its figures against targets.

export interface BenchContext {
  /** Where service and simulator logs and generated files go (outside the repository). */
  workDir: string
  progress(message: string): void
}

export interface TargetLine {
  figure: string
  value: string
  target: string
  /** null: reported, no target. */
  met: boolean | null
}

export interface ScenarioReport {
  title: string
  /** Markdown, without the title. */
  body: string
  targets: TargetLine[]
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n')
}
