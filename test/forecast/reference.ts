/**
 * A deliberately naive reference for the window rules, for property tests: it expands the
 * forecast into one value per minute and averages minute by minute. It only handles series whose
 * instants and step are whole minutes (the generators make sure of that), which is what makes the
 * minute-by-minute sum exact rather than an approximation.
 */
import type { ForecastSeries } from "../../src/forecast/ForecastSeries.js"
import { MINUTE } from "./support.js"

export interface ReferenceWindow {
  readonly start: number
  readonly carbonIntensity: number
}

/** The forecast's value during each minute, from the first point to the end of the last step. */
const valuePerMinute = (series: ForecastSeries): ReadonlyArray<number> => {
  const last = series.points[series.points.length - 1]!
  return series.points.flatMap((point, i) => {
    const until = series.points[i + 1]?.at ?? last.at + series.stepMillis
    return Array.from({ length: (until - point.at) / MINUTE }, () => point.carbonIntensity)
  })
}

const meanOfMinutes = (perMinute: ReadonlyArray<number>, offset: number, minutes: number): number | undefined => {
  if (offset < 0 || offset + minutes > perMinute.length) return undefined
  let sum = 0
  for (let m = offset; m < offset + minutes; m++) sum += perMinute[m]!
  return sum / minutes
}

/** Mean over `[start, start + minutes)` by summing whole minutes; `undefined` when not inside. */
export const referenceValue = (series: ForecastSeries, start: number, minutes: number): number | undefined =>
  meanOfMinutes(valuePerMinute(series), (start - series.points[0]!.at) / MINUTE, minutes)

/**
 * Every candidate, straight from the rule's wording: a start is a point's instant, not earlier than
 * the latest instant at or before `now`, while `now` is still inside the forecast; the window
 * must fit.
 */
export const referenceCandidates = (
  series: ForecastSeries,
  minutes: number,
  now: number
): ReadonlyArray<ReferenceWindow> => {
  const perMinute = valuePerMinute(series)
  const first = series.points[0]!.at
  if (now >= first + perMinute.length * MINUTE) return []
  const started = series.points.filter((point) => point.at <= now).map((point) => point.at)
  const current = started.length === 0 ? -Infinity : Math.max(...started)
  return series.points
    .filter((point) => point.at >= current)
    .flatMap((point) => {
      const value = meanOfMinutes(perMinute, (point.at - first) / MINUTE, minutes)
      return value === undefined ? [] : [{ start: point.at, carbonIntensity: value }]
    })
}

/** The lowest candidate, the earliest among equals. */
export const referenceBest = (series: ForecastSeries, minutes: number, now: number): ReferenceWindow | undefined => {
  const candidates = referenceCandidates(series, minutes, now)
  const lowest = Math.min(...candidates.map((candidate) => candidate.carbonIntensity))
  return candidates.find((candidate) => candidate.carbonIntensity === lowest)
}
