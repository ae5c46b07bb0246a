/**
 * The data the service speaks: zone keys, the Electricity Maps `latest` answer, and the cache file.
 * The cache schema is the public interface read by the scheduler: its field names, nesting and
 * order follow CONTRACT section 3 and must not drift.
 */
import { Schema } from "effect"

/** Characters a real zone key uses (`US-CAL-CISO`, `DK-DK2`); lower case is accepted so the
 * start-up zone check can suggest the right spelling instead of rejecting it outright. */
export const ZONE_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/

export const EmissionFactorType = Schema.Literal("lifecycle", "direct")
export type EmissionFactorType = typeof EmissionFactorType.Type

/**
 * `GET /v3/carbon-intensity/latest`, as recorded from the real API. Optional fields stay
 * optional (exactOptionalPropertyTypes), so a field the API did not send is not invented.
 */
export const LatestCarbonIntensity = Schema.Struct({
  zone: Schema.String,
  carbonIntensity: Schema.NullOr(Schema.Number),
  datetime: Schema.String,
  updatedAt: Schema.String,
  createdAt: Schema.optional(Schema.String),
  emissionFactorType: Schema.String,
  isEstimated: Schema.Boolean,
  estimationMethod: Schema.optional(Schema.NullOr(Schema.String)),
  temporalGranularity: Schema.optional(Schema.NullOr(Schema.String))
})
export type LatestCarbonIntensity = typeof LatestCarbonIntensity.Type

/** A `latest` answer that can be ranked: the API sent a number. */
export interface UsableReading extends LatestCarbonIntensity {
  readonly carbonIntensity: number
}

/** `GET /v3/zones`: zone key to names, plus `access` when a valid token is sent. */
export const ZoneCatalog = Schema.Record({
  key: Schema.String,
  value: Schema.Struct({
    zoneName: Schema.optional(Schema.String),
    countryName: Schema.optional(Schema.String),
    access: Schema.optional(Schema.Array(Schema.String))
  })
})
export type ZoneCatalog = typeof ZoneCatalog.Type

/** `YYYY-MM-DDTHH:MM:SS`, UTC, no offset and no fraction: the layout existing readers parse. */
export const CacheTimestamp = Schema.String.pipe(
  Schema.pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
  Schema.annotations({ description: "UTC time as YYYY-MM-DDTHH:MM:SS, no offset, no fraction" })
)

export const CacheEntry = Schema.Struct({
  // The API's fields as it sent them, in its order; a usable entry always has a number.
  ...LatestCarbonIntensity.fields,
  carbonIntensity: Schema.Number,
  timestamp: CacheTimestamp.annotations({ description: "when this value was fetched" })
}).annotations({ identifier: "CacheEntry" })
export type CacheEntry = typeof CacheEntry.Type

export const UnavailableZone = Schema.Struct({
  reason: Schema.String,
  message: Schema.String
}).annotations({ identifier: "UnavailableZone" })
export type UnavailableZone = typeof UnavailableZone.Type

export const CacheFile = Schema.Struct({
  timestamp: CacheTimestamp.annotations({ description: "when this file was produced (UTC)" }),
  ttl_minutes: Schema.Number.annotations({ description: "the file is valid until timestamp + ttl_minutes" }),
  regions: Schema.Record({ key: Schema.String, value: CacheEntry }),
  sorted_by_carbon: Schema.Array(Schema.String),
  best_region: Schema.String,
  worst_region: Schema.String,
  // Additions (CONTRACT section 3 allows new top-level keys): documented in the README.
  expires_at: Schema.optional(
    Schema.String.annotations({ description: "timestamp + ttl_minutes, RFC 3339 UTC" })
  ),
  unavailable: Schema.optional(
    Schema.Record({ key: Schema.String, value: UnavailableZone }).annotations({
      description: "configured zones missing from regions, with the reason and the API's message"
    })
  )
}).annotations({
  identifier: "CarbonCache",
  title: "carbon-poller cache file",
  description: "Zones ranked by carbon intensity, written atomically by carbon-poller"
})
export type CacheFile = typeof CacheFile.Type
