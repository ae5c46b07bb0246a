/**
 * The source port: where readings come from. The poller, the zone check and the `zones` command
 * ask this and nothing else, so a second provider is one adapter layer (see
 * src/providers/electricitymaps/ElectricityMapsSource.ts for the first) chosen in src/app/AppLayer.ts.
 */
import { Context, Data, type Duration, type Effect, Schema } from "effect"
import type { Forecast } from "../domain/Forecast.js"
import type { Basis, ProviderId } from "../domain/Provider.js"
import type { Reading, ZoneCatalogue } from "../domain/Reading.js"

/** What went wrong asking the provider; the adapter maps its provider's answers onto these. */
const SOURCE_FAILURE_REASONS = [
  "Unauthorized", // the key, its plan or its rate limit refused this request
  "Forbidden",
  "BadRequest",
  "ZoneNotFound", // the provider does not know the zone (also: missing from its catalogue)
  "NoData", // the provider has no current value for the zone
  "RateLimited",
  "ServerError",
  "RequestTimeout", // the provider's own 408
  "Timeout", // no complete answer within our per-request timeout
  "Transport",
  "BadResponse", // an answer that does not decode
  "BodyTooLarge"
] as const

/** Why the core refuses a reading the provider did send (the truthfulness rules). */
const REFUSAL_REASONS = [
  "WrongZone",
  "TextTooLong",
  "ControlCharacter",
  "ImpossibleValue",
  "BadDatetime",
  "FutureReading",
  "StaleReading",
  "WrongEmissionFactor"
] as const

/** Why the core has no value without having asked, or without an answer. */
const CORE_REASONS = [
  "NotInPlan", // the key's plan does not cover what would be asked for
  "Unknown" // no result at all for the zone (a safeguard)
] as const

/**
 * Every reason a configured zone can be without a value, whoever found it: the provider, the
 * truthfulness rules or the zone check. The cache's `unavailable`, the logs and the metrics' labels
 * take their reason from this one set.
 */
export const FailureReason = Schema.Literal(...SOURCE_FAILURE_REASONS, ...REFUSAL_REASONS, ...CORE_REASONS)
export type FailureReason = typeof FailureReason.Type

export type SourceFailureReason = (typeof SOURCE_FAILURE_REASONS)[number]
export type RefusalReason = (typeof REFUSAL_REASONS)[number]

export const isFailureReason = Schema.is(FailureReason)

/**
 * The port's one failure, from the adapter that met it up to the cache file, the log and the
 * metrics: a zone's failed request, a reading the core refused, a zone the zone check left out.
 */
export class SourceError extends Data.TaggedError("SourceError")<{
  /** The zone asked for, or undefined for the catalogue. */
  readonly zone: string | undefined
  readonly reason: FailureReason
  /** One line an operator can act on, written by whoever found the failure (it knows the texts). */
  readonly detail: string
  /**
   * What the provider said, trimmed to one line; for a refused reading, what was wrong with what it
   * sent. The cache's `unavailable` entry carries it.
   */
  readonly providerMessage?: string | undefined
  readonly status?: number | undefined
  /** How long the provider asked us to wait (`Retry-After`), already capped. */
  readonly retryAfter?: Duration.Duration | undefined
  /**
   * The provider refused this before (a region outside the plan) and was not asked again: the
   * first refusal was logged with the provider's words, so this one is said once only, at debug.
   */
  readonly alreadyReported?: boolean | undefined
  readonly cause?: unknown
}> {
  override get message(): string {
    return this.detail
  }

  /** The `message` of the zone's `unavailable` entry: what the provider said, else the detail. */
  get said(): string {
    return this.providerMessage ?? this.detail
  }
}

export interface CarbonSourceShape {
  readonly provider: ProviderId
  /** Provider name for logs and messages, e.g. "Electricity Maps". */
  readonly name: string
  /**
   * The basis of every value this source gives: its provider's `basisGiven` (src/domain/ProviderFacts.ts),
   * from which the configuration already refused a zone whose basis differs.
   */
  readonly basis: Basis
  /**
   * How long one request may go unanswered before it fails as `Timeout`: a poll can run this much
   * past its interval, which liveness allows for.
   */
  readonly requestTimeout: Duration.Duration
  /** The latest reading of one zone, retried within the call as the adapter sees fit. */
  readonly latest: (zone: string) => Effect.Effect<Reading, SourceError>
  /**
   * The forecast of one zone for the next `horizonHours`, retried like `latest`. The points come
   * as sent: the caller checks them.
   */
  readonly forecast: (zone: string, horizonHours: number) => Effect.Effect<Forecast, SourceError>
  /** Every zone the provider knows, with what the key's plan covers when it says. */
  readonly catalogue: Effect.Effect<ZoneCatalogue, SourceError>
  /**
   * What the catalogue lists: every zone the provider knows (the default), or only those the
   * account may query (WattTime's `/v3/my-access`). In the second case a zone missing from it may
   * exist outside the plan, so the zone check still polls it and lets the provider's answer say.
   */
  readonly catalogueLists?: "every zone" | "the account's zones"
}

export class CarbonSource extends Context.Tag("carbon-poller/CarbonSource")<CarbonSource, CarbonSourceShape>() {}
