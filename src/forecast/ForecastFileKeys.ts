/**
 * From what is known about each zone's forecast and the moment the file is written, the cache
 * file's forecast keys. Pure: no Effect, no clock; the caller passes `now`.
 *
 * A forecast is shown only while it is at most twice the refresh interval old (one failed refresh
 * is bridged, two are not) and has not run out; otherwise its zone is named in
 * `unavailable_forecasts` with the reason, never silently left out.
 */
import type {
  BestWindow,
  ForecastKeys,
  UnavailableForecast,
  ZoneBestWindow,
  ZoneForecast
} from "../domain/ForecastKeys.js"
import { formatCacheTimestamp, formatInstant } from "../domain/Time.js"
import { bestWindowsAcrossZones, forecastEnd, type Window } from "./BestWindow.js"
import type { ForecastSeries } from "./ForecastSeries.js"
import type { ForecastSnapshot, GoodForecast, ZoneForecastState } from "./ForecastState.js"

export interface ForecastKeysInput {
  readonly snapshot: ForecastSnapshot
  readonly windowsMinutes: ReadonlyArray<number>
  readonly refreshMinutes: number
  /** Epoch milliseconds: the file's `timestamp`. */
  readonly now: number
}

const MILLIS_PER_MINUTE = 60_000

/**
 * One decimal: the API's forecasts are whole grams, so a mean over partial slots has a long
 * fraction that says nothing a forecast can back. The best window is chosen on exact values
 * before rounding, so rounding never changes which window wins, only how it is written.
 */
export const roundIntensity = (value: number): number => Math.round(value * 10) / 10

const zoneWindow = (window: Window): ZoneBestWindow => ({
  minutes: window.minutes,
  start: formatInstant(window.start),
  end: formatInstant(window.end),
  carbonIntensity: roundIntensity(window.carbonIntensity)
})

type Verdict =
  | { readonly _tag: "Usable"; readonly good: GoodForecast }
  | { readonly _tag: "Unavailable"; readonly why: UnavailableForecast }

const latestFailure = (state: ZoneForecastState | undefined): string =>
  state?.lastFailure === undefined
    ? ""
    : `; latest refresh failed: ${state.lastFailure.reason}: ${state.lastFailure.message}`

/** Whether a zone's forecast may be shown at `now`, and if not, why. */
export const verdictOf = (
  state: ZoneForecastState | undefined,
  refreshMinutes: number,
  now: number
): Verdict => {
  const good = state?.lastGood
  if (good === undefined) {
    return {
      _tag: "Unavailable",
      why: state?.lastFailure !== undefined
        ? { reason: state.lastFailure.reason, message: state.lastFailure.message }
        : { reason: "Pending", message: "no forecast fetched yet" }
    }
  }
  const maxAgeMinutes = 2 * refreshMinutes
  if (now - good.fetchedAt > maxAgeMinutes * MILLIS_PER_MINUTE) {
    return {
      _tag: "Unavailable",
      why: {
        reason: "Stale",
        message: `the last good forecast was fetched at ${
          formatCacheTimestamp(good.fetchedAt)
        }, more than ${maxAgeMinutes} minutes (twice FORECAST_REFRESH_MINUTES) ago${latestFailure(state)}`
      }
    }
  }
  const end = forecastEnd(good.series)
  if (end !== undefined && now >= end) {
    return {
      _tag: "Unavailable",
      why: {
        reason: "Ended",
        message: `the forecast fetched at ${formatCacheTimestamp(good.fetchedAt)} ends at ${
          formatInstant(end)
        }, before this file was written${latestFailure(state)}`
      }
    }
  }
  return { _tag: "Usable", good }
}

export const forecastKeysOf = (input: ForecastKeysInput): ForecastKeys => {
  const usable: Array<readonly [string, GoodForecast]> = []
  const unavailable: Record<string, UnavailableForecast> = {}
  for (const zone of input.snapshot.zones) {
    const verdict = verdictOf(input.snapshot.byZone.get(zone), input.refreshMinutes, input.now)
    if (verdict._tag === "Usable") usable.push([zone, verdict.good])
    else unavailable[zone] = verdict.why
  }
  for (const { message, reason, zone } of input.snapshot.notAsked) unavailable[zone] = { reason, message }

  const series = usable.map(([zone, good]): readonly [string, ForecastSeries] => [zone, good.series])
  const windows = bestWindowsAcrossZones(series, input.windowsMinutes, input.now)
  const forecasts: Record<string, ZoneForecast> = {}
  for (const [zone, good] of usable) {
    forecasts[zone] = {
      ...(good.updatedAt !== undefined ? { updatedAt: good.updatedAt } : {}),
      fetched: formatCacheTimestamp(good.fetchedAt),
      best_windows: (windows.perZone.get(zone) ?? []).map(zoneWindow)
    }
  }
  const best_windows = windows.overall.map((window): BestWindow => ({
    minutes: window.minutes,
    zone: window.zone,
    start: formatInstant(window.start),
    end: formatInstant(window.end),
    carbonIntensity: roundIntensity(window.carbonIntensity)
  }))
  return { best_windows, forecasts, unavailable_forecasts: unavailable }
}
