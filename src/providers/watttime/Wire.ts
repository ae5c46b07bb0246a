/**
 * WattTime's v3 answers as they come over the wire (WattTime's documented examples and a public
 * client's recorded bodies). Only this adapter sees these types; fields it does not use are
 * ignored, fields it uses are checked.
 */
import { Schema } from "effect"

/** `GET /login`: a bearer token, valid 30 minutes. */
export const LoginAnswer = Schema.Struct({ token: Schema.String })
export type LoginAnswer = typeof LoginAnswer.Type

/**
 * `GET /v3/forecast`: points every `data_point_period_seconds` (300, some regions 3600) from the
 * current period, and `meta` saying what they are. `value` may be null in principle; the core
 * refuses a forecast with a missing value, so it is decoded as sent.
 */
export const SignalAnswer = Schema.Struct({
  data: Schema.Array(Schema.Struct({ point_time: Schema.String, value: Schema.NullOr(Schema.Number) })),
  meta: Schema.Struct({
    region: Schema.String,
    signal_type: Schema.String,
    units: Schema.String,
    data_point_period_seconds: Schema.optional(Schema.Number),
    generated_at: Schema.optional(Schema.String)
  })
})
export type SignalAnswer = typeof SignalAnswer.Type

/** `GET /v3/my-access`: per signal type, the regions the account may query and through which endpoints. */
export const MyAccessAnswer = Schema.Struct({
  signal_types: Schema.Array(Schema.Struct({
    signal_type: Schema.String,
    regions: Schema.Array(Schema.Struct({
      region: Schema.String,
      region_full_name: Schema.optional(Schema.String),
      endpoints: Schema.optional(Schema.Array(Schema.Struct({ endpoint: Schema.String })))
    }))
  }))
})
export type MyAccessAnswer = typeof MyAccessAnswer.Type
