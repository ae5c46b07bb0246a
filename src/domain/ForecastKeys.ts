/**
 * The cache file's forecast keys: the best time windows over all zones, each zone's forecast
 * summary, and the zones without a usable forecast. They appear only when forecasts are switched
 * on (and the plan covers them), after every older key, so a reader of the older format finds the
 * file it knows with keys it ignores.
 */
import { Schema } from "effect"
import { CacheTimestamp } from "./Time.js"

const Rfc3339Utc = Schema.String.annotations({ description: "RFC 3339 UTC with Z, e.g. 2023-05-03T01:00:00Z" })

const windowFields = {
  minutes: Schema.Number.annotations({ description: "the window's length, one of FORECAST_WINDOWS_MINUTES" }),
  start: Rfc3339Utc,
  end: Rfc3339Utc,
  carbonIntensity: Schema.Number.annotations({
    description: "time-weighted mean of the forecast over [start, end), gCO2eq/kWh, rounded to 0.1"
  })
}

/** The best window of one length over every zone with a forecast. */
export const BestWindow = Schema.Struct({
  minutes: windowFields.minutes,
  zone: Schema.String,
  start: windowFields.start,
  end: windowFields.end,
  carbonIntensity: windowFields.carbonIntensity
}).annotations({ identifier: "BestWindow" })
export type BestWindow = typeof BestWindow.Type

/** The best window of one length in one zone. */
export const ZoneBestWindow = Schema.Struct(windowFields).annotations({ identifier: "ZoneBestWindow" })
export type ZoneBestWindow = typeof ZoneBestWindow.Type

export const ZoneForecast = Schema.Struct({
  updatedAt: Schema.optional(
    Schema.String.annotations({ description: "when the provider computed the forecast, as it sent it" })
  ),
  fetched: CacheTimestamp.annotations({ description: "when this forecast was fetched" }),
  best_windows: Schema.Array(ZoneBestWindow)
}).annotations({ identifier: "ZoneForecast" })
export type ZoneForecast = typeof ZoneForecast.Type

export const UnavailableForecast = Schema.Struct({
  reason: Schema.String,
  message: Schema.String
}).annotations({ identifier: "UnavailableForecast" })
export type UnavailableForecast = typeof UnavailableForecast.Type

/** The three keys together, as the poll adds them to a cache value. */
export interface ForecastKeys {
  readonly best_windows: ReadonlyArray<BestWindow>
  readonly forecasts: Readonly<Record<string, ZoneForecast>>
  readonly unavailable_forecasts: Readonly<Record<string, UnavailableForecast>>
}
