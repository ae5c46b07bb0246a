/**
 * What a simulator is started with, validated once at start so a typo fails loudly instead of
 * quietly simulating something else.
 */
import { Data, Effect, ParseResult, Schema } from "effect"
import { FaultRule } from "./Fault.js"
import { DEFAULT_PASSWORD, DEFAULT_PLAN, DEFAULT_USERNAME, REGION_CODES } from "./watttime/Signal.js"
import type { ZoneCatalogue } from "./Zones.js"

export const SimulatorOptionsSchema = Schema.Struct({
  /** TCP port on 127.0.0.1; 0 picks any free port (read it back from the handle). */
  port: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 65535)), { default: () => 0 }),
  /** Fixes every generated value and every random draw. */
  seed: Schema.optionalWith(Schema.Union(Schema.String, Schema.Int), { default: () => 1 }),
  /** The only `auth-token` accepted. Absent: any non-empty token is accepted. */
  apiKey: Schema.optional(Schema.NonEmptyString),
  /** Zones the key may query; others answer 401. Absent: every zone. */
  plan: Schema.optional(Schema.Array(Schema.NonEmptyString)),
  /** Baseline latency of every API answer, ± `jitterMs`; not a fault, so clearing faults keeps it. */
  latencyMs: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 0 }),
  jitterMs: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 0 }),
  /** Spacing of forecast points. */
  forecastGranularity: Schema.optionalWith(Schema.Literal("hourly", "15_minutes"), {
    default: () => "hourly" as const
  }),
  /**
   * The key's plan covers forecasts: `/zones` lists `carbon-intensity/forecast` in `access`.
   * `false`: the forecast route answers 401 for every zone, as for a plan without forecasts.
   */
  forecastAccess: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  /** Written before each `/zones` `access` path, to see entries such as `"v4/carbon-intensity/latest"`. */
  accessPrefix: Schema.optionalWith(Schema.Literal("", "v3/", "v4/"), { default: () => "" as const }),
  /**
   * WattTime's routes: the only username and password `/login` accepts (a username has no `:`,
   * HTTP Basic auth's separator), and the regions the account may query; the others answer 403.
   */
  wattTime: Schema.optionalWith(
    Schema.Struct({
      username: Schema.optionalWith(Schema.NonEmptyString.pipe(Schema.pattern(/^[^:]+$/)), {
        default: () => DEFAULT_USERNAME
      }),
      password: Schema.optionalWith(Schema.NonEmptyString, { default: () => DEFAULT_PASSWORD }),
      plan: Schema.optionalWith(Schema.Array(Schema.Literal(...REGION_CODES)), { default: () => DEFAULT_PLAN })
    }),
    { default: () => ({ username: DEFAULT_USERNAME, password: DEFAULT_PASSWORD, plan: DEFAULT_PLAN }) }
  ),
  /** Faults armed from the start. */
  faults: Schema.optionalWith(Schema.Array(FaultRule), { default: () => [] })
})

/** Options as written by a caller: everything optional. */
export type SimulatorOptions = typeof SimulatorOptionsSchema.Encoded
export type ResolvedOptions = typeof SimulatorOptionsSchema.Type

export class SimulatorError extends Data.TaggedError("SimulatorError")<{
  readonly reason: "InvalidOptions" | "InvalidFault" | "ListenFailed"
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * One `path: problem` line per issue. The tree formatter's output names schema internals; these
 * lines name the field a person typed. Optional fields also report "Expected undefined", which
 * only repeats the real problem, so those lines are dropped.
 */
export const formatParseError = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .filter((issue) => !issue.message.startsWith("Expected undefined"))
    .map((issue) => `${issue.path.length === 0 ? "(top)" : issue.path.join(".")}: ${issue.message}`)
    .join("\n")

export const invalid = (reason: "InvalidOptions" | "InvalidFault") => (error: ParseResult.ParseError) =>
  new SimulatorError({ reason, message: formatParseError(error), cause: error })

/** Decodes the options and checks the plan against the zone catalogue. */
export const resolveOptions = (
  options: SimulatorOptions,
  catalogue: ZoneCatalogue
): Effect.Effect<ResolvedOptions, SimulatorError> =>
  Schema.decodeUnknown(SimulatorOptionsSchema, { errors: "all" })(options).pipe(
    Effect.mapError(invalid("InvalidOptions")),
    Effect.filterOrFail(
      (resolved) => (resolved.plan ?? []).every((zone) => Object.hasOwn(catalogue, zone)),
      (resolved) =>
        new SimulatorError({
          reason: "InvalidOptions",
          message: `plan names unknown zones: ${
            (resolved.plan ?? []).filter((zone) => !Object.hasOwn(catalogue, zone)).join(", ")
          } (zone keys are case-sensitive, e.g. US-NY-NYIS)`
        })
    )
  )
