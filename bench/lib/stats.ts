// Small numeric helpers for reporting.

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

export function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a'
}

/** "12.3 (12.1, 12.3, 12.9)": the median, then every run. */
export function medianOf(values: readonly number[], digits = 2): string {
  return `${fixed(median(values), digits)} (${values.map((value) => fixed(value, digits)).join(', ')})`
}

export function check(ok: boolean): string {
  return ok ? 'met' : '**not met**'
}

export function seconds(since: number): number {
  return (performance.now() - since) / 1000
}
