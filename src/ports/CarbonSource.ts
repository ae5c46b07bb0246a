/**
 * The source port: where readings come from. The poller, the zone check and the `zones` command
 * ask this and nothing else, so a second provider is one adapter layer (see
 * src/electricitymaps/ElectricityMapsSource.ts for the first) chosen in src/app/AppLayer.ts.
 */
import { Context, Data, type Effect } from "effect"
import type { Forecast } from "../domain/Forecast.js"
import type { Reading, ZoneCatalogue } from "../domain/Reading.js"

/** Provider-neutral kinds of failure; the adapter says which, the poller counts and reports them. */
export type SourceFailureReason =
  | "Unauthorized" // the key, its plan or its rate limit refused this request
  | "Forbidden"
  | "BadRequest"
  | "ZoneNotFound"
  | "NoData" // the provider has no current value for the zone
  | "RateLimited"
  | "ServerError"
  | "RequestTimeout" // the provider's own 408
  | "Timeout" // no complete answer within our per-request timeout
  | "Transport"
  | "BadResponse" // an answer that does not decode
  | "BodyTooLarge"

export class SourceError extends Data.TaggedError("SourceError")<{
  /** The zone asked for, or undefined for the catalogue. */
  readonly zone: string | undefined
  readonly reason: SourceFailureReason
  /** One line an operator can act on, written by the adapter (it knows its provider's texts). */
  readonly detail: string
  /** What the provider itself said, when it said something. */
  readonly providerMessage?: string | undefined
  readonly status?: number | undefined
}> {
  override get message(): string {
    return this.detail
  }
}

export interface CarbonSourceShape {
  /** Provider name for logs and messages, e.g. "Electricity Maps". */
  readonly name: string
  /** The latest reading of one zone, retried within the call as the adapter sees fit. */
  readonly latest: (zone: string) => Effect.Effect<Reading, SourceError>
  /**
   * The forecast of one zone for the next `horizonHours`, retried like `latest`. The points come
   * as sent: the caller checks them.
   */
  readonly forecast: (zone: string, horizonHours: number) => Effect.Effect<Forecast, SourceError>
  /** Every zone the provider knows, with what the key's plan covers when it says. */
  readonly catalogue: Effect.Effect<ZoneCatalogue, SourceError>
}

export class CarbonSource extends Context.Tag("carbon-poller/CarbonSource")<CarbonSource, CarbonSourceShape>() {}
