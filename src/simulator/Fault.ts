/**
 * The fault model: what can go wrong with an answer, for which requests, and how often.
 *
 * One Schema describes it so the same JSON works from code (`handle.addFault`), from the CLI
 * (`--fault '<json>'`) and over HTTP (`POST /__simulator/faults`). Optional fields carry their
 * defaults in the schema, so callers write only what they mean.
 */
import { Schema } from "effect"

const PositiveInt = Schema.Int.pipe(Schema.positive())
const Millis = Schema.NonNegativeInt

/** Delay the answer by `ms` ± a uniform `jitterMs` (never below 0). Adds up with other faults. */
export const Latency = Schema.Struct({
  kind: Schema.Literal("latency"),
  ms: Millis,
  jitterMs: Schema.optionalWith(Millis, { default: () => 0 })
})

/** An HTTP 5xx with a small JSON body. */
export const ServerError = Schema.Struct({
  kind: Schema.Literal("server-error"),
  status: Schema.optionalWith(Schema.Int.pipe(Schema.between(500, 599)), { default: () => 500 })
})

/**
 * HTTP 429 with `Retry-After`. The real API answers rate limits with 401 (see `rate-limit-401`);
 * this one exercises the standard HTTP path, in either header format.
 */
export const RateLimit429 = Schema.Struct({
  kind: Schema.Literal("rate-limit-429"),
  retryAfterSeconds: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 1 }),
  retryAfterFormat: Schema.optionalWith(Schema.Literal("seconds", "http-date"), {
    default: () => "seconds" as const
  })
})

/** HTTP 401 `{"error":"Rate limit exceeded"}`: how users report the real API's rate limit. */
export const RateLimit401 = Schema.Struct({ kind: Schema.Literal("rate-limit-401") })

/** Never answer; the connection stays open until the client gives up or the simulator stops. */
export const Hang = Schema.Struct({ kind: Schema.Literal("hang") })

/** Send the normal answer, `chunkBytes` at a time, one chunk every `intervalMs`. */
export const Slow = Schema.Struct({
  kind: Schema.Literal("slow"),
  chunkBytes: Schema.optionalWith(PositiveInt, { default: () => 16 }),
  intervalMs: Schema.optionalWith(Millis, { default: () => 100 })
})

/** The recorded "No recent data" body with unescaped quotes, served as `application/json`. */
export const InvalidJson = Schema.Struct({
  kind: Schema.Literal("invalid-json"),
  status: Schema.optionalWith(Schema.Int.pipe(Schema.between(200, 599)), { default: () => 200 })
})

/** A proxy's HTML 502 page, `text/html`. */
export const ProxyHtml502 = Schema.Struct({ kind: Schema.Literal("html-502") })

/** The normal answer with `carbonIntensity: null`, as the API sends for a zone without data. */
export const NullIntensity = Schema.Struct({ kind: Schema.Literal("null-intensity") })

/** A 200 JSON body of `bytes` bytes, streamed in chunks (never held in memory). */
export const HugeBody = Schema.Struct({
  kind: Schema.Literal("huge-body"),
  bytes: Schema.optionalWith(PositiveInt, { default: () => 50 * 1024 * 1024 }),
  declareLength: Schema.optionalWith(Schema.Boolean, { default: () => false })
})

/** A 200 JSON body that never ends; streaming stops when the client disconnects. */
export const EndlessBody = Schema.Struct({ kind: Schema.Literal("endless-body") })

/** HTTP 404 with the recorded "No recent data for zone" body. */
export const NoRecentData = Schema.Struct({ kind: Schema.Literal("no-recent-data") })

export const Fault = Schema.Union(
  Latency,
  ServerError,
  RateLimit429,
  RateLimit401,
  Hang,
  Slow,
  InvalidJson,
  ProxyHtml502,
  NullIntensity,
  HugeBody,
  EndlessBody,
  NoRecentData
)
export type Fault = typeof Fault.Type
export type FaultKind = Fault["kind"]

/**
 * When a matching rule fires: on every request, on the next `next` requests (then it retires),
 * or with `probability` p drawn from the simulator's seeded generator.
 */
export const Trigger = Schema.Union(
  Schema.Literal("always"),
  Schema.Struct({ next: PositiveInt }),
  Schema.Struct({ probability: Schema.Number.pipe(Schema.between(0, 1)) })
)
export type Trigger = typeof Trigger.Type

/** Which API endpoint a rule applies to. A `zone` filter only ever matches `latest`. */
export const Endpoint = Schema.Literal("latest", "zones", "any")
export type Endpoint = typeof Endpoint.Type

export const FaultRule = Schema.Struct({
  fault: Fault,
  zone: Schema.optional(Schema.NonEmptyString),
  endpoint: Schema.optionalWith(Endpoint, { default: () => "latest" as const }),
  when: Schema.optionalWith(Trigger, { default: () => "always" as const })
})
/** A rule with its defaults filled in. */
export type FaultRule = typeof FaultRule.Type
/** A rule as written in JSON or code: defaults may be left out. */
export type FaultRuleInput = typeof FaultRule.Encoded
