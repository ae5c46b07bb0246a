/** Pure helpers: summaries of repeated measurements and the peak request rate. */

export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly runs: number
}

export const summarize = (values: ReadonlyArray<number>): Summary => {
  if (values.length === 0) throw new Error("summarize: no values")
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
  return { median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0, runs: sorted.length }
}

/** The most request starts inside any window `[t, t + windowMillis)`. */
export const peakInWindow = (starts: ReadonlyArray<number>, windowMillis = 1000): number => {
  const sorted = [...starts].sort((a, b) => a - b)
  let peak = 0
  let first = 0
  for (let last = 0; last < sorted.length; last++) {
    while ((sorted[last] ?? 0) - (sorted[first] ?? 0) >= windowMillis) first++
    peak = Math.max(peak, last - first + 1)
  }
  return peak
}

/** Mean rate between the first and the last start, in requests per second. */
export const meanRate = (starts: ReadonlyArray<number>): number => {
  if (starts.length < 2) return 0
  const sorted = [...starts].sort((a, b) => a - b)
  return ((sorted.length - 1) * 1000) / ((sorted[sorted.length - 1] ?? 0) - (sorted[0] ?? 0))
}

const round = (value: number, digits: number): number => {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

/** `median (min–max)` with a unit-appropriate precision. */
export const show = (summary: Summary, digits = 0): string =>
  `${round(summary.median, digits)} (${round(summary.min, digits)}–${round(summary.max, digits)})`

export const fixed = round

/** A Markdown table: header row, then rows; every cell already a string. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  [header, header.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n")
