/**
 * Forecasts and the best time window: which window lengths to find (none = the feature is off),
 * how far ahead to ask, and how often. Electricity Maps recomputes forecasts hourly, so asking
 * more often than that spends the plan's calls on the same numbers.
 */
import { Config, ConfigError, Context, Either } from "effect"
import { positiveNumber, wholeNumber } from "./Variables.js"

export const WINDOWS_VARIABLE = "FORECAST_WINDOWS_MINUTES"
export const MIN_FORECAST_REFRESH_MINUTES = 5
export const MAX_FORECAST_HORIZON_HOURS = 72

export interface ForecastSettings {
  /** Window lengths in minutes, in the order given, without duplicates; empty means no forecasts. */
  readonly forecastWindowsMinutes: ReadonlyArray<number>
  readonly forecastHorizonHours: number
  readonly forecastRefreshMinutes: number
}

export class ForecastConfig extends Context.Tag("carbon-poller/ForecastConfig")<ForecastConfig, ForecastSettings>() {}

/** True when any window length is configured. */
export const forecastsEnabled = (settings: ForecastSettings): boolean => settings.forecastWindowsMinutes.length > 0

/**
 * Comma-separated whole minutes, spaces trimmed, duplicates dropped, order kept (the file lists
 * windows in this order). An empty value turns the feature off, as leaving it unset does, so a
 * deployment can switch it off with `FORECAST_WINDOWS_MINUTES=`.
 */
export const parseWindowLengths = (raw: string): Either.Either<ReadonlyArray<number>, string> => {
  const parts = raw.split(",").map((part) => part.trim()).filter((part) => part !== "")
  const bad = parts.filter((part) => !/^\d+$/.test(part) || Number(part) <= 0 || !Number.isSafeInteger(Number(part)))
  if (bad.length > 0) {
    return Either.left(
      `window lengths are positive whole minutes, comma-separated, e.g. 60,240; not valid: ${
        bad.map((part) => JSON.stringify(part)).join(", ")
      }`
    )
  }
  return Either.right([...new Set(parts.map(Number))])
}

export const forecastConfig: Config.Config<ForecastSettings> = Config.all({
  forecastWindowsMinutes: Config.string(WINDOWS_VARIABLE).pipe(
    Config.mapOrFail((raw) =>
      Either.mapLeft(parseWindowLengths(raw), (message) => ConfigError.InvalidData([], message))
    ),
    Config.withDefault<ReadonlyArray<number>>([])
  ),
  forecastHorizonHours: wholeNumber("FORECAST_HORIZON_HOURS", {
    fallback: 24,
    min: 1,
    max: MAX_FORECAST_HORIZON_HOURS,
    what: "hours of forecast to ask for"
  }),
  forecastRefreshMinutes: positiveNumber("FORECAST_REFRESH_MINUTES", {
    fallback: 60,
    unit: "minutes",
    min: MIN_FORECAST_REFRESH_MINUTES
  })
})

/** A window longer than the forecast asked for can never be found: refused at start. */
export const windowsLongerThanHorizon = (settings: ForecastSettings): ReadonlyArray<number> =>
  settings.forecastWindowsMinutes.filter((minutes) => minutes > settings.forecastHorizonHours * 60)
