/**
 * What a carbon-intensity source hands the poller, whoever the provider is. The fields are the ones
 * the cache file's entries carry (the cache format is the public interface and names them after
 * Electricity Maps, its first provider); another provider maps its answers onto them.
 */
import { Schema } from "effect"

/** Characters a real zone key uses (`US-CAL-CISO`, `DK-DK2`); lower case is accepted so the
 * start-up zone check can suggest the right spelling instead of rejecting it outright. */
export const ZONE_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/

export const EmissionFactorType = Schema.Literal("lifecycle", "direct")
export type EmissionFactorType = typeof EmissionFactorType.Type

/**
 * One reading, field for field in the order the cache entry writes it. Optional fields stay
 * optional (exactOptionalPropertyTypes): a field the provider did not send is not invented.
 */
export const Reading = Schema.Struct({
  zone: Schema.String,
  carbonIntensity: Schema.Number,
  datetime: Schema.String,
  // When the provider produced the value, if it says so (the UK Carbon Intensity API does not).
  updatedAt: Schema.optional(Schema.String),
  createdAt: Schema.optional(Schema.String),
  emissionFactorType: Schema.String,
  isEstimated: Schema.Boolean,
  estimationMethod: Schema.optional(Schema.NullOr(Schema.String)),
  temporalGranularity: Schema.optional(Schema.NullOr(Schema.String))
})
export type Reading = typeof Reading.Type

/** What a key's plan allows for one zone, when the provider says (it may not, e.g. without a key). */
export interface ZoneAccess {
  readonly latest: boolean
  readonly forecast: boolean
}

/** One zone of a provider's catalogue. */
export interface CatalogueZone {
  readonly zone: string
  readonly name?: string | undefined
  readonly country?: string | undefined
  /** Undefined when the provider did not say what the plan covers. */
  readonly access: ZoneAccess | undefined
}

export type ZoneCatalogue = ReadonlyArray<CatalogueZone>
