/**
 * The best time window to run work of a given length, from a forecast step series.
 *
 * A window's value is the time-weighted mean of the forecast over `[start, start + minutes)`:
 * each point holds from its instant up to the next point's (however far that is), the last point
 * for one step, and a point partly inside the window counts by the time it spends inside. This is
 * the rolling average of the Green Software Foundation's Carbon Aware SDK, with the candidate
 * starts restricted to the points' instants from the current point onwards.
 *
 * Values are exact means, not rounded: for integer forecasts (what the API sends) on whole
 * milliseconds every product and sum below is an exact integer, so equal windows compare equal
 * and ties really go to the earliest start. Rounding for display belongs to whoever writes them.
 */
import type { ForecastSeries } from "./ForecastSeries.js"

export interface Window {
  readonly minutes: number
  /** Epoch milliseconds, inclusive. */
  readonly start: number
  /** Epoch milliseconds, exclusive: `start + minutes` minutes. */
  readonly end: number
  /** Time-weighted mean over the window, gCO2eq/kWh. */
  readonly carbonIntensity: number
}

export interface ZoneWindow extends Window {
  readonly zone: string
}

export interface BestWindows {
  /** Per zone, in the order given, its best window for each length that has one, in the order of the lengths. */
  readonly perZone: ReadonlyMap<string, ReadonlyArray<Window>>
  /** Per length that any zone has a window for, in the order of the lengths: the best over all zones. */
  readonly overall: ReadonlyArray<ZoneWindow>
}

const MILLIS_PER_MINUTE = 60_000

/** Where the forecast stops: the last point's instant plus one step. */
export const forecastEnd = (series: ForecastSeries): number | undefined => {
  const last = series.points[series.points.length - 1]
  return last === undefined ? undefined : last.at + series.stepMillis
}

const pointEnd = (series: ForecastSeries, index: number, end: number): number => series.points[index + 1]?.at ?? end

/** Index of the last point at or before `instant`, or -1 when every point is later. */
const lastPointAtOrBefore = (series: ForecastSeries, instant: number): number => {
  let low = 0
  let high = series.points.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (series.points[middle]!.at <= instant) low = middle + 1
    else high = middle
  }
  return low - 1
}

/**
 * The time-weighted mean over `[start, start + minutes)`, or `undefined` when that span is not
 * wholly inside the forecast (or `minutes` is not a positive number).
 */
export const windowValue = (series: ForecastSeries, start: number, minutes: number): number | undefined => {
  const end = forecastEnd(series)
  const duration = minutes * MILLIS_PER_MINUTE
  const first = series.points[0]
  if (end === undefined || first === undefined || !(duration > 0) || !Number.isFinite(duration)) return undefined
  if (!Number.isFinite(start) || start < first.at || start + duration > end) return undefined
  let weighted = 0
  for (let i = lastPointAtOrBefore(series, start); i < series.points.length; i++) {
    const point = series.points[i]!
    if (point.at >= start + duration) break
    const inside = Math.min(start + duration, pointEnd(series, i, end)) - Math.max(start, point.at)
    weighted += point.carbonIntensity * inside
  }
  return weighted / duration
}

/**
 * Index of the first candidate start: the point that contains `now`, or the first point when the
 * forecast has not begun yet; `undefined` when the forecast is over. A window may start at the
 * current point although that instant has passed: the point is the forecast's best word on the
 * present slot, and refusing it would leave no window for most of every hour.
 */
const firstCandidateIndex = (series: ForecastSeries, now: number): number | undefined => {
  const end = forecastEnd(series)
  if (end === undefined || !Number.isFinite(now) || now >= end) return undefined
  return Math.max(0, lastPointAtOrBefore(series, now))
}

/**
 * The window of `minutes` with the lowest value among those starting at a point's instant, from
 * the point containing `now` onwards, and lying wholly inside the forecast; the earliest among
 * equals. `undefined` when no such window exists (forecast too short, over, or `minutes` not
 * positive).
 */
export const bestWindow = (series: ForecastSeries, minutes: number, now: number): Window | undefined => {
  const firstIndex = firstCandidateIndex(series, now)
  if (firstIndex === undefined) return undefined
  let best: Window | undefined
  for (let i = firstIndex; i < series.points.length; i++) {
    const start = series.points[i]!.at
    const value = windowValue(series, start, minutes)
    // Later starts end later still: once one does not fit, none does.
    if (value === undefined) break
    if (best === undefined || value < best.carbonIntensity) {
      best = { minutes, start, end: start + minutes * MILLIS_PER_MINUTE, carbonIntensity: value }
    }
  }
  return best
}

/** Byte order, as the ranking of zones uses, so the result does not depend on the locale. */
const compareZoneKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

const isBetter = (candidate: ZoneWindow, incumbent: ZoneWindow): boolean =>
  candidate.carbonIntensity !== incumbent.carbonIntensity
    ? candidate.carbonIntensity < incumbent.carbonIntensity
    : candidate.start !== incumbent.start
    ? candidate.start < incumbent.start
    : compareZoneKeys(candidate.zone, incumbent.zone) < 0

const bestOfZones = (windows: ReadonlyArray<ZoneWindow>): ZoneWindow | undefined =>
  windows.reduce<ZoneWindow | undefined>(
    (best, window) => (best === undefined || isBetter(window, best) ? window : best),
    undefined
  )

/**
 * Best windows per zone and per length, and the best over all zones for each length (ties:
 * earliest start, then zone key ascending). A length no zone can fill is left out.
 */
export const bestWindowsAcrossZones = (
  perZone: ReadonlyMap<string, ForecastSeries> | ReadonlyArray<readonly [string, ForecastSeries]>,
  lengths: ReadonlyArray<number>,
  now: number
): BestWindows => {
  const zoneWindows = new Map<string, ReadonlyArray<Window>>()
  for (const [zone, series] of perZone) {
    zoneWindows.set(
      zone,
      lengths.flatMap((minutes) => bestWindow(series, minutes, now) ?? [])
    )
  }
  const overall = lengths.flatMap((minutes) => {
    const candidates = [...zoneWindows].flatMap(([zone, windows]) =>
      windows.filter((window) => window.minutes === minutes).map((window) => ({ ...window, zone }))
    )
    return bestOfZones(candidates) ?? []
  })
  return { perZone: zoneWindows, overall }
}
