/**
 * The UK Carbon Intensity API's answers as they come over the wire. Only this adapter sees these
 * types. Everything the API has been seen to leave out is optional here, so that an answer with
 * no data is told apart from one that does not decode:
 * - an empty 200 is `{}` (outages, and regional forecasts past the horizon) or `{"data":[]}`;
 * - `actual` exists only nationally, appears about half an hour after a period ends and may be
 *   `null` for the current one; regional values are forecasts only;
 * - the regional forward routes carry `"data": {…}` (one region), though the docs show a list;
 *   `/regional/regionid/{id}` carries `"data": [{…}]`.
 */
import { Schema } from "effect"

/** One half-hour: `from`/`to` written `YYYY-MM-DDThh:mmZ`, no seconds. */
export const Period = Schema.Struct({
  from: Schema.String,
  to: Schema.String,
  intensity: Schema.Struct({
    forecast: Schema.NullOr(Schema.Number),
    actual: Schema.optional(Schema.NullOr(Schema.Number)),
    index: Schema.optional(Schema.String)
  })
})
export type Period = typeof Period.Type

/** One region with its periods (`generationmix` and the names are not needed, so not decoded). */
const Region = Schema.Struct({
  regionid: Schema.optional(Schema.Number),
  shortname: Schema.optional(Schema.String),
  data: Schema.optional(Schema.Array(Period))
})
type Region = typeof Region.Type

/** `GET /intensity` and `GET /intensity/{from}/fw48h`. */
export const NationalAnswer = Schema.Struct({ data: Schema.optional(Schema.Array(Period)) })
export type NationalAnswer = typeof NationalAnswer.Type

/** `GET /regional/regionid/{id}` (a list), and the forward route (an object; a list accepted too). */
export const RegionalAnswer = Schema.Struct({
  data: Schema.optional(Schema.Union(Region, Schema.Array(Region)))
})
export type RegionalAnswer = typeof RegionalAnswer.Type

/** The periods of a national answer, or undefined when it carries no `data` at all (`{}`). */
export const nationalPeriods = (answer: NationalAnswer): ReadonlyArray<Period> | undefined => answer.data

/** The periods of the (one) region a regional answer is about, or undefined when it carries none. */
export const regionalPeriods = (answer: RegionalAnswer): ReadonlyArray<Period> | undefined => {
  const region: Region | undefined = Array.isArray(answer.data) ? answer.data[0] : answer.data
  return region?.data
}
