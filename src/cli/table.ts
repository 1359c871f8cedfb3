// Plain aligned columns for a terminal: what `plan` and `sources` print unless --json is given.
export interface Column {
  header: string
  /** Numbers read best right-aligned. */
  right?: boolean
}

export function formatTable(columns: Column[], rows: string[][]): string {
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...rows.map((row) => (row[index] ?? '').length)),
  )
  const line = (cells: string[]) =>
    columns
      .map((column, index) => {
        const cell = cells[index] ?? ''
        const width = widths[index] ?? 0
        return column.right ? cell.padStart(width) : cell.padEnd(width)
      })
      .join('  ')
      .trimEnd()
  return [line(columns.map((column) => column.header)), ...rows.map(line)].join('\n')
}
