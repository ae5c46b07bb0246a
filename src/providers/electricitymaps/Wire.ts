/**
 * Electricity Maps' answers as they come over the wire (recorded bodies of v3 and v4, which agree
 * for the routes used here). Only this adapter sees these types; the rest of the service sees
 * `Reading` and `ZoneCatalogue`.
 */
import { Schema } from "effect"
import { Reading } from "../../domain/Reading.js"

/**
 * `GET /carbon-intensity/latest`: the reading's fields (the cache format was named after this
 * answer), except that the API may send `carbonIntensity: null` when it has no value, and that
 * `updatedAt`, optional for providers that do not say, is always sent by this one. Optional
 * fields stay optional, so nothing is invented.
 */
export const LatestAnswer = Schema.Struct({
  ...Reading.fields,
  carbonIntensity: Schema.NullOr(Schema.Number),
  updatedAt: Schema.String
})
export type LatestAnswer = typeof LatestAnswer.Type

/** `GET /zones`: zone key to names, plus `access` (endpoint paths, or `*`) when a valid token is sent. */
export const ZonesAnswer = Schema.Record({
  key: Schema.String,
  value: Schema.Struct({
    zoneName: Schema.optional(Schema.String),
    countryName: Schema.optional(Schema.String),
    access: Schema.optional(Schema.Array(Schema.String))
  })
})
export type ZonesAnswer = typeof ZonesAnswer.Type

/**
 * `GET /carbon-intensity/forecast`. v4 adds `temporalGranularity`; v3 bodies (and the recorded
 * ones) have none, so it is optional. Points are decoded as sent, `null` values included: the
 * core refuses what it cannot trust, with the reason.
 */
export const ForecastAnswer = Schema.Struct({
  zone: Schema.String,
  forecast: Schema.Array(Schema.Struct({
    carbonIntensity: Schema.NullOr(Schema.Number),
    datetime: Schema.String
  })),
  updatedAt: Schema.optional(Schema.String),
  temporalGranularity: Schema.optional(Schema.NullOr(Schema.String))
})
export type ForecastAnswer = typeof ForecastAnswer.Type
