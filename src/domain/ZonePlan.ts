/**
 * Which configured zones a poll asks for, and why the others are missing: what the zone check
 * decides and the poll, the forecasts and the cache's `unavailable` read.
 */
import type { SourceError } from "../ports/CarbonSource.js"

/** Which zones a poll asks for, and the configured ones it leaves out with why. */
export interface ZonePlan {
  readonly pollable: ReadonlyArray<string>
  /** Left out without asking, each with its reason, as the source's own failures are. */
  readonly excluded: ReadonlyArray<SourceError>
  /** Pollable zones the plan gives no forecasts for; absent when the catalogue did not say. */
  readonly withoutForecast?: ReadonlyArray<string> | undefined
}
