/**
 * The cache file: the public interface read by the scheduler. Field names, nesting and order are
 * fixed (existing readers depend on them); additions are new top-level keys only, documented in
 * docs/cache-format.md.
 */
import { Schema } from "effect"
import { FailureReason, isFailureReason } from "../ports/CarbonSource.js"
import { BestWindow, UnavailableForecast, ZoneForecast } from "./ForecastKeys.js"
import { PROVIDER_IDS, SIGNALS } from "./Provider.js"
import { EmissionFactorType, Reading } from "./Reading.js"
import { CacheTimestamp } from "./Time.js"

export const CacheEntry = Schema.Struct({
  // The provider's fields as it sent them, in its order.
  ...Reading.fields,
  timestamp: CacheTimestamp.annotations({ description: "when this value was fetched" })
}).annotations({ identifier: "CacheEntry" })
export type CacheEntry = typeof CacheEntry.Type

/**
 * Written as one of the reasons this version knows; in the file a plain string. Read back, a reason
 * only a newer version writes is `Unknown` to this one, so a replica still mirrors the cache its
 * leader published during a rolling upgrade (the bytes it mirrors are the leader's, unchanged).
 */
export const UnavailableReason = Schema.transform(Schema.String, FailureReason, {
  strict: true,
  decode: (reason) => (isFailureReason(reason) ? reason : "Unknown"),
  encode: (reason) => reason
})

export const UnavailableZone = Schema.Struct({
  reason: UnavailableReason,
  message: Schema.String
}).annotations({ identifier: "UnavailableZone" })
export type UnavailableZone = typeof UnavailableZone.Type

/** Where a key's value came from: its provider, the value's basis, and whether a fallback link gave it. */
export const SourceProvenance = Schema.Struct({
  provider: Schema.Literal(...PROVIDER_IDS),
  signal: Schema.Literal(...SIGNALS),
  emissionFactorType: EmissionFactorType,
  fallback: Schema.Boolean.annotations({ description: "true when a later link of the key's ZONES chain answered" })
}).annotations({ identifier: "SourceProvenance" })
export type SourceProvenance = typeof SourceProvenance.Type

export const CacheFile = Schema.Struct({
  timestamp: CacheTimestamp.annotations({ description: "when this file was produced (UTC)" }),
  ttl_minutes: Schema.Number.annotations({ description: "the file is valid until timestamp + ttl_minutes" }),
  regions: Schema.Record({ key: Schema.String, value: CacheEntry }),
  sorted_by_carbon: Schema.Array(Schema.String),
  best_region: Schema.String,
  worst_region: Schema.String,
  // Additions (new top-level keys only), documented in docs/cache-format.md.
  expires_at: Schema.optional(
    Schema.String.annotations({ description: "timestamp + ttl_minutes, RFC 3339 UTC" })
  ),
  unavailable: Schema.optional(
    Schema.Record({ key: Schema.String, value: UnavailableZone }).annotations({
      description: "configured zones missing from regions, with the reason and the API's message"
    })
  ),
  sources: Schema.optional(
    Schema.Record({ key: Schema.String, value: SourceProvenance }).annotations({
      description:
        "for every key in regions: the provider its value came from, the value's basis, and whether a fallback gave it"
    })
  ),
  // Only with FORECAST_WINDOWS_MINUTES set, and after every key above, so their order never changes.
  best_windows: Schema.optional(
    Schema.Array(BestWindow).annotations({ description: "per window length, the best window over all zones" })
  ),
  forecasts: Schema.optional(
    Schema.Record({ key: Schema.String, value: ZoneForecast }).annotations({
      description: "per zone with a usable forecast: when it was made and fetched, and its best windows"
    })
  ),
  unavailable_forecasts: Schema.optional(
    Schema.Record({ key: Schema.String, value: UnavailableForecast }).annotations({
      description: "zones whose forecast failed, was refused or is too old, with the reason"
    })
  )
}).annotations({
  identifier: "CarbonCache",
  title: "carbon-poller cache file",
  description: "Zones ranked by carbon intensity, written atomically by carbon-poller"
})
export type CacheFile = typeof CacheFile.Type

/** A cache value together with the exact bytes every output publishes and `/cache` serves. */
export interface RenderedCache {
  readonly cache: CacheFile
  readonly contents: string
}

const encodeCache = Schema.encodeSync(CacheFile)

/** The file's bytes: the schema's own encoding, indented like the reference example. */
export const renderCache = (cache: CacheFile): RenderedCache => ({
  cache,
  contents: `${JSON.stringify(encodeCache(cache), null, 2)}\n`
})
