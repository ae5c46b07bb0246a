/**
 * Which configured zones a poll asks for, and why the others are missing: what the zone check
 * decides and the poll, the forecasts and the cache's `unavailable` read.
 */

/** A configured zone without a usable value this time, and why. */
export interface ZoneFailure {
  readonly zone: string
  readonly reason: string
  /** For the cache's `unavailable`: what the provider said, or which rule the reading broke. */
  readonly message: string
  /** For the log: one sentence an operator can act on. */
  readonly detail?: string | undefined
  readonly status?: number | undefined
}

/** Which zones a poll asks for, and the configured ones it leaves out with why. */
export interface ZonePlan {
  readonly pollable: ReadonlyArray<string>
  readonly excluded: ReadonlyArray<ZoneFailure>
  /** Pollable zones the plan gives no forecasts for; absent when the catalogue did not say. */
  readonly withoutForecast?: ReadonlyArray<string> | undefined
}
