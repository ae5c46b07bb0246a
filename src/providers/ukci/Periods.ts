/**
 * From the API's half-hour periods to the port's `Reading` and `Forecast`: pure, the time passed in.
 */
import { type Array, Either } from "effect"
import type { Forecast } from "../../domain/Forecast.js"
import { granularityName } from "../../domain/Granularity.js"
import type { Reading } from "../../domain/Reading.js"
import { formatInstant, formatRfc3339, parseRfc3339Instant } from "../../domain/Time.js"
import type { Period } from "./Wire.js"

const MILLIS_PER_MINUTE = 60_000
const MILLIS_PER_HOUR = 60 * MILLIS_PER_MINUTE

const MINUTES_ONLY = /^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2})([Zz]|[+-]\d{2}:\d{2})$/

/**
 * A period bound as an RFC 3339 UTC instant with seconds: the API writes `2021-07-23T07:00Z`,
 * which the strict RFC 3339 parser (rightly) refuses. Anything else that is not an instant is
 * passed on as sent, so the core refuses it with its reason instead of this adapter guessing.
 */
export const normalizeInstant = (text: string): string => {
  const at = parseRfc3339Instant(text.replace(MINUTES_ONLY, "$1:00$2"))
  return at === undefined ? text : formatInstant(at)
}

/**
 * `{from}` of a forward route: a minute after now, to the minute (`YYYY-MM-DDThh:mmZ`). The API
 * answers the periods whose end lies at or after `{from}`; exactly on a half-hour boundary that
 * would start with the period that just ended, so the minute keeps the first period the one
 * holding now.
 */
export const forwardFrom = (nowMillis: number): string => {
  const minute = Math.floor((nowMillis + MILLIS_PER_MINUTE) / MILLIS_PER_MINUTE) * MILLIS_PER_MINUTE
  return `${formatRfc3339(minute).slice(0, 16)}Z`
}

/**
 * The period to report as current: the one holding now; else the latest one that began before
 * now (`/intensity` has been seen to answer the latest complete half-hour, and the core's age
 * rule decides whether it is still usable); else the first one as sent (a future period, or
 * one whose start does not parse: the core refuses either with its reason).
 */
export const currentPeriod = (periods: Array.NonEmptyReadonlyArray<Period>, nowMillis: number): Period => {
  let best: { readonly period: Period; readonly from: number } | undefined
  for (const period of periods) {
    const from = parseRfc3339Instant(normalizeInstant(period.from))
    if (from === undefined || from > nowMillis) continue
    if (best === undefined || from > best.from) best = { period, from }
  }
  return best?.period ?? periods[0]
}

/**
 * A period as a reading of `zone`: `actual` when the API has measured it (national only), else
 * `forecast`, which makes it an estimate. A period with neither has no value to give.
 */
export const toReading = (zone: string, period: Period): Either.Either<Reading, string> => {
  const actual = period.intensity.actual ?? null
  const value = actual ?? period.intensity.forecast
  if (value === null) {
    return Either.left(`the period from ${period.from} has neither an actual nor a forecast intensity`)
  }
  return Either.right({
    zone,
    carbonIntensity: value,
    datetime: normalizeInstant(period.from),
    // No `updatedAt`: the API does not say when it produced a value, and no time is invented.
    emissionFactorType: "direct",
    isEstimated: actual === null
  })
}

/** `30_minutes` from the first period's own bounds, when they parse; the core reads the spacing otherwise. */
const granularityOf = (periods: ReadonlyArray<Period>): string | undefined => {
  const first = periods[0]
  if (first === undefined) return undefined
  const from = parseRfc3339Instant(normalizeInstant(first.from))
  const to = parseRfc3339Instant(normalizeInstant(first.to))
  if (from === undefined || to === undefined) return undefined
  return granularityName((to - from) / MILLIS_PER_MINUTE)
}

/**
 * The forecast points of `zone` that start before `horizonHours` from now: each period's start
 * and its `forecast` (a forecast is what is asked for, even where a measured `actual` exists).
 * A period whose start does not parse is kept, for the core to refuse with its reason.
 */
export const toForecast = (
  zone: string,
  periods: ReadonlyArray<Period>,
  nowMillis: number,
  horizonHours: number
): Forecast => {
  const end = nowMillis + horizonHours * MILLIS_PER_HOUR
  const inHorizon = periods.filter((period) => (parseRfc3339Instant(normalizeInstant(period.from)) ?? 0) < end)
  const granularity = granularityOf(inHorizon)
  return {
    zone,
    ...(granularity !== undefined ? { temporalGranularity: granularity } : {}),
    points: inHorizon.map((period) => ({
      datetime: normalizeInstant(period.from),
      carbonIntensity: period.intensity.forecast
    }))
  }
}
