/**
 * What the service knows about each zone's forecast between refreshes: the latest good series and
 * the latest failure. Plain data, so the cache keys can be computed from it by a pure function.
 */
import type { FailureReason } from "../ports/CarbonSource.js"
import type { ForecastRefusalReason, ForecastSeries } from "./ForecastSeries.js"

export interface GoodForecast {
  readonly series: ForecastSeries
  /** The provider's `updatedAt`, as sent (checked to be an RFC 3339 instant). */
  readonly updatedAt?: string | undefined
  /** Epoch milliseconds when the answer arrived. */
  readonly fetchedAt: number
}

/** Why a refresh failed: the source's failure, or why the forecast it sent was refused. */
export type ForecastFailureReason = FailureReason | ForecastRefusalReason

export interface ForecastFailure {
  readonly reason: ForecastFailureReason
  readonly message: string
  /** Epoch milliseconds of the failed refresh. */
  readonly at: number
}

export interface ZoneForecastState {
  /** Kept across failed refreshes until it is too old to be shown. */
  readonly lastGood?: GoodForecast | undefined
  /** The latest refresh's failure; cleared by the next good one. */
  readonly lastFailure?: ForecastFailure | undefined
}

export interface ForecastSnapshot {
  /** False when forecasts are off or no zone's plan covers them: the file gets no forecast keys. */
  readonly active: boolean
  /** Zones whose forecast is asked for, in the configured order. */
  readonly zones: ReadonlyArray<string>
  /** Configured zones not asked for, with why (outside the plan, not in the catalogue). */
  readonly notAsked: ReadonlyArray<{ readonly zone: string; readonly reason: FailureReason; readonly message: string }>
  readonly byZone: ReadonlyMap<string, ZoneForecastState>
}
