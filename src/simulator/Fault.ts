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

/** A well-formed answer, with that zone's values, for `zone` instead of the zone asked for. */
export const WrongZone = Schema.Struct({ kind: Schema.Literal("wrong-zone"), zone: Schema.NonEmptyString })

/**
 * Every time in the answer moved by `offsetMinutes`: negative serves a stale reading (e.g. -4320 is
 * three days old), positive one from the future.
 */
export const ShiftedDatetime = Schema.Struct({ kind: Schema.Literal("datetime"), offsetMinutes: Schema.Int })

/** Which forecast point a one-point fault changes: an index, the last point if it is past the end. */
const ForecastPoint = Schema.optionalWith(Schema.NonNegativeInt, { default: () => 0 })

/** `datetime` replaced by `value`, which need not be a date at all (on a forecast, one point's). */
export const BadDatetime = Schema.Struct({
  kind: Schema.Literal("bad-datetime"),
  value: Schema.String,
  point: ForecastPoint
})

/**
 * `carbonIntensity` written as the JSON token `raw`, verbatim: `-5`, `1e12`, `1e400` (which
 * JSON.parse reads as Infinity), or even something that is not JSON. On a forecast, one point's.
 */
export const RawIntensity = Schema.Struct({
  kind: Schema.Literal("intensity"),
  raw: Schema.NonEmptyString,
  point: ForecastPoint
})

/** `emissionFactorType` answered as `value`, whatever was asked for. */
export const EmissionFactor = Schema.Struct({ kind: Schema.Literal("emission-factor"), value: Schema.String })

/**
 * The request's `auth-token` echoed in `estimationMethod`: as plain JSON text, with every
 * character written `\uXXXX`, or with `/` written `\/`. The raw body holds only that escaped form.
 */
export const EchoKey = Schema.Struct({
  kind: Schema.Literal("echo-key"),
  escape: Schema.optionalWith(Schema.Literal("none", "unicode", "slash"), { default: () => "none" as const })
})

/**
 * An error answer (HTTP `status`) whose JSON `message` echoes the request's `auth-token` after
 * `offset` filler characters, so a client that shortens the message can be caught cutting through
 * the key. `part` echoes the whole key or only its first half (as an upstream that truncates it
 * would); `escape` writes it as JSON would by default (`\"` and `\\` for those characters), every
 * character as `\uXXXX`, with `/` as `\/`, or mixing the forms character by character.
 */
export const EchoKeyError = Schema.Struct({
  kind: Schema.Literal("echo-key-error"),
  status: Schema.optionalWith(Schema.Int.pipe(Schema.between(400, 599)), { default: () => 401 }),
  offset: Schema.optionalWith(Schema.NonNegativeInt.pipe(Schema.lessThanOrEqualTo(10_000)), { default: () => 0 }),
  part: Schema.optionalWith(Schema.Literal("whole", "first-half"), { default: () => "whole" as const }),
  escape: Schema.optionalWith(Schema.Literal("none", "unicode", "slash", "mixed"), {
    default: () => "none" as const
  })
})

/** The normal answer gzip-compressed with `content-encoding: gzip`, whatever the client accepts. */
export const Gzip = Schema.Struct({ kind: Schema.Literal("gzip") })

/** HTTP 500 whose JSON `message` carries ANSI escape sequences and control characters. */
export const AnsiMessage = Schema.Struct({ kind: Schema.Literal("ansi-message") })

/**
 * WattTime: a data call answered 401, as when the bearer token expired before the client renewed
 * it (a client should log in again and repeat the call once).
 */
export const TokenExpired = Schema.Struct({ kind: Schema.Literal("token-expired") })

/** WattTime: 403 "Invalid scope", as for a region outside the account's plan. */
export const OutOfPlan = Schema.Struct({ kind: Schema.Literal("out-of-plan") })

/** A 200 whose whole body is `{}`: the UK API's answer during outages and past its forecast horizon. */
export const Empty200 = Schema.Struct({ kind: Schema.Literal("empty-200") })

/** The UK API's national periods with `actual: null`, as for a half-hour not yet measured. */
export const ActualNull = Schema.Struct({ kind: Schema.Literal("actual-null") })

/** The zone catalogue answered as `{}`. */
export const CatalogueEmpty = Schema.Struct({ kind: Schema.Literal("catalogue-empty") })

/** The zone catalogue without the keys in `zones`. */
export const CatalogueMissing = Schema.Struct({
  kind: Schema.Literal("catalogue-missing"),
  zones: Schema.Array(Schema.NonEmptyString)
})

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
  NoRecentData,
  WrongZone,
  ShiftedDatetime,
  BadDatetime,
  RawIntensity,
  EmissionFactor,
  EchoKey,
  EchoKeyError,
  Gzip,
  AnsiMessage,
  CatalogueEmpty,
  CatalogueMissing,
  TokenExpired,
  OutOfPlan,
  Empty200,
  ActualNull
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

/** The API routes a rule can select: Electricity Maps' three, then WattTime's (login, forecast, my-access). */
export const Route = Schema.Literal(
  "latest",
  "forecast",
  "zones",
  "watttime-login",
  "watttime-forecast",
  "watttime-my-access"
)
export type Route = typeof Route.Type

/**
 * Whose routes a rule acts on: Electricity Maps' (the default, so rules written before there was
 * a choice keep their meaning, and WattTime's, which its route names select) or the UK Carbon
 * Intensity API's, whose `latest` is `/intensity` and `/regional/regionid/{id}` and whose
 * `forecast` is the forward routes.
 */
export const Provider = Schema.Literal("electricitymaps", "ukci")
export type Provider = typeof Provider.Type

const EM_ROUTES: ReadonlyArray<Route> = ["latest", "forecast", "zones"]
const WATTTIME_DATA_ROUTES: ReadonlyArray<Route> = ["watttime-forecast", "watttime-my-access"]
const ALL_ROUTES: ReadonlyArray<Route> = [...EM_ROUTES, "watttime-login", ...WATTTIME_DATA_ROUTES]
const READING_ROUTES: ReadonlyArray<Route> = ["latest", "forecast"]

/** Routes that carry no zone (or region): a rule for one of them cannot name one. */
const ZONELESS_ROUTES: ReadonlyArray<Route> = ["zones", "watttime-login", "watttime-my-access"]

/** The older selector, kept so existing rules keep their meaning; `route` is the one to use. */
export const Endpoint = Schema.Literal("latest", "zones", "any")
export type Endpoint = typeof Endpoint.Type

/**
 * Routes where a kind of fault means something. Faults that edit a reading need a reading; the
 * key echo and the factor type need the latest body's fields; catalogue faults need the catalogue.
 * Everything else (statuses, broken transports, odd bodies) fits any route. `null-intensity` and
 * `no-recent-data` predate route selection and always fired on `/zones` too (leaving the catalogue
 * as it is, and naming an empty zone): they still do, so existing rules behave as before; they
 * mean nothing to WattTime. The WattTime refusals fit WattTime's data routes.
 */
const electricityMapsRoutesOfKind = (kind: FaultKind): ReadonlyArray<Route> => {
  switch (kind) {
    case "datetime":
      return [...READING_ROUTES, "watttime-forecast"]
    case "wrong-zone":
    case "bad-datetime":
    case "intensity":
      return READING_ROUTES
    case "emission-factor":
    case "echo-key":
      return ["latest"]
    case "catalogue-empty":
    case "catalogue-missing":
      return ["zones"]
    case "null-intensity":
    case "empty-200":
      return [...EM_ROUTES, "watttime-forecast"]
    case "no-recent-data":
      return EM_ROUTES
    case "token-expired":
      return WATTTIME_DATA_ROUTES
    case "out-of-plan":
      return ["watttime-forecast"]
    case "actual-null":
      return []
    default:
      return ALL_ROUTES
  }
}

/**
 * The UK API's routes carry half-hour periods, not Electricity Maps' fields: faults that edit
 * those fields, the key echo (no key is sent) and the catalogue faults (its catalogue is a fixed
 * list, not a route) mean nothing there. `actual` exists only on the latest national period.
 */
const ukciRoutesOfKind = (kind: FaultKind): ReadonlyArray<Route> => {
  switch (kind) {
    case "actual-null":
      return ["latest"]
    case "token-expired":
    case "out-of-plan":
    case "rate-limit-401":
    case "no-recent-data":
    case "wrong-zone":
    case "bad-datetime":
    case "emission-factor":
    case "echo-key":
    case "ansi-message":
    case "catalogue-empty":
    case "catalogue-missing":
      return []
    default:
      return READING_ROUTES
  }
}

export const routesOfKind = (kind: FaultKind, provider: Provider = "electricitymaps"): ReadonlyArray<Route> =>
  provider === "ukci" ? ukciRoutesOfKind(kind) : electricityMapsRoutesOfKind(kind)

interface Selectors {
  readonly provider?: Provider | undefined
  readonly route?: Route | undefined
  readonly endpoint?: Endpoint | undefined
}

/**
 * Routes a rule's selectors name: `route`, else the older `endpoint` (whose `any` meant
 * Electricity Maps' three routes, and still does), else latest and forecast.
 */
export const selectedRoutes = (rule: Selectors): ReadonlyArray<Route> =>
  rule.route !== undefined
    ? [rule.route]
    : rule.endpoint === "any"
    ? EM_ROUTES
    : rule.endpoint === "zones"
    ? ["zones"]
    : rule.endpoint === "latest"
    ? ["latest"]
    : READING_ROUTES

/** Routes where a rule can fire: selected by it and meaningful for its fault. */
export const effectiveRoutes = (
  rule: Selectors & { readonly fault: { readonly kind: FaultKind } }
): ReadonlyArray<Route> => {
  const meaningful = routesOfKind(rule.fault.kind, rule.provider)
  return selectedRoutes(rule).filter((route) => meaningful.includes(route))
}

/**
 * A rule that could never fire is a mistake: say why instead of arming it silently. Every kind
 * that existed before route selection fits every route the older `endpoint` selector can name,
 * so rules written for it are all still accepted.
 */
const ruleProblem = (
  rule: Selectors & { readonly fault: Fault; readonly zone?: string | undefined }
): string | undefined => {
  if (rule.route !== undefined && rule.endpoint !== undefined) return "use either route or endpoint, not both"
  if (rule.provider === "ukci" && rule.endpoint !== undefined) {
    return "endpoint selects Electricity Maps routes: use route"
  }
  const selected = selectedRoutes(rule)
  const meaningful = routesOfKind(rule.fault.kind, rule.provider)
  if (meaningful.length === 0) {
    return rule.provider === "ukci"
      ? `fault ${rule.fault.kind} does not apply to the UK Carbon Intensity routes`
      : `fault ${rule.fault.kind} applies only to the UK Carbon Intensity routes: add "provider": "ukci"`
  }
  if (effectiveRoutes(rule).length === 0) {
    return `fault ${rule.fault.kind} applies only to route ${meaningful.join(" or ")}, ` +
      `but the rule selects ${selected.join(" and ")}`
  }
  if (rule.zone !== undefined && rule.route !== undefined && ZONELESS_ROUTES.includes(rule.route)) {
    return `${rule.route} requests carry no zone: drop zone, or select the latest, forecast or watttime-forecast route`
  }
  return undefined
}

export const FaultRule = Schema.Struct({
  fault: Fault,
  /** Whose routes: Electricity Maps' when absent. */
  provider: Schema.optional(Provider),
  /** Only requests for this zone (latest and forecast carry one; zones requests do not), or WattTime region. */
  zone: Schema.optional(Schema.NonEmptyString),
  /** Only this route. Absent (and no `endpoint`): latest and forecast. */
  route: Schema.optional(Route),
  endpoint: Schema.optional(Endpoint),
  when: Schema.optionalWith(Trigger, { default: () => "always" as const })
}).pipe(Schema.filter((rule) => ruleProblem(rule)))
/** A rule with its defaults filled in. */
export type FaultRule = typeof FaultRule.Type
/** A rule as written in JSON or code: defaults may be left out. */
export type FaultRuleInput = typeof FaultRule.Encoded
