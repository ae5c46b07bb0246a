/**
 * Which configured zones a poll asks for, and why the others are missing: what the zone check
 * decides and the poll, the forecasts and the cache's `unavailable` read.
 */
import type { SourceError } from "../ports/CarbonSource.js"
import type { ZoneChain } from "./ZoneChain.js"

/** Which zones a poll asks for, and the configured ones it leaves out with why. */
export interface ZonePlan {
  readonly pollable: ReadonlyArray<string>
  /**
   * The pollable keys' chains with only the links their providers list; absent: as configured.
   * A link its catalogue lacks is not asked, while the chain's other links still serve its key.
   */
  readonly chains?: ReadonlyArray<ZoneChain> | undefined
  /** Left out without asking, each with its reason, as the source's own failures are. */
  readonly excluded: ReadonlyArray<SourceError>
  /** Pollable zones the plan gives no forecasts for; absent when the catalogue did not say. */
  readonly withoutForecast?: ReadonlyArray<string> | undefined
}
