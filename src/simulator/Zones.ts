/**
 * The zone catalogue served by `GET /v4/zones` (and `/v3/zones`), and the key's plan.
 *
 * `zones.json` beside this file is a verbatim copy of the project fixture
 * `test/fixtures/electricity-maps/zones.json`, the real `/v3/zones` answer recorded by
 * jpbede/aioelectricitymaps (tests/fixtures/zones.json, MIT). It is copied, not referenced, so the
 * simulator works in a clean clone and in a container image (`tsc` emits it next to this module).
 */
import { Effect, Schema } from "effect"
import recordedZones from "./zones.json" with { type: "json" }

export const ZoneInfo = Schema.Struct({
  zoneName: Schema.String,
  countryName: Schema.optional(Schema.String)
})
export type ZoneInfo = typeof ZoneInfo.Type

export const ZoneCatalogue = Schema.Record({ key: Schema.String, value: ZoneInfo })
export type ZoneCatalogue = typeof ZoneCatalogue.Type

/** A broken copy of the data file is a bug in this repository, hence a defect. */
export const loadCatalogue: Effect.Effect<ZoneCatalogue> = Schema.decodeUnknown(ZoneCatalogue)(recordedZones).pipe(
  Effect.orDie
)

/** The endpoint paths listed in `access` for a zone the key may query (a paid plan's usual set). */
export const PLAN_ACCESS: ReadonlyArray<string> = ["carbon-intensity/latest", "carbon-intensity/history"]

export const FORECAST_ACCESS = "carbon-intensity/forecast"

/** What the key's plan says about access, beyond which zones it covers. */
export interface AccessPolicy {
  /** The plan covers forecasts. */
  readonly forecasts: boolean
  /** Written before each `access` path (`"v4/"` gives `"v4/carbon-intensity/latest"`). */
  readonly prefix: "" | "v3/" | "v4/"
}

/**
 * The `access` list of a zone the key may query. An unrestricted key gets `["*"]`, unless
 * forecasts are withheld: then the list must spell out what it does cover.
 */
export const accessList = (plan: Plan, policy: AccessPolicy): ReadonlyArray<string> => {
  if (plan === undefined && policy.forecasts) return ["*"]
  const paths = policy.forecasts ? [...PLAN_ACCESS, FORECAST_ACCESS] : PLAN_ACCESS
  return paths.map((path) => `${policy.prefix}${path}`)
}

/** `undefined` plan: the key may query every zone, as with an unrestricted key. */
export type Plan = ReadonlySet<string> | undefined

export const inPlan = (plan: Plan, zone: string): boolean => plan === undefined || plan.has(zone)

/**
 * The zones body. With a valid token the real API adds `access` to the zones the key may
 * query (`["*"]` when nothing restricts it); without a token it sends the bare list, which is how
 * the fixture was recorded.
 */
export const zonesBody = (
  catalogue: ZoneCatalogue,
  plan: Plan,
  policy: AccessPolicy,
  withAccess: boolean
): Record<string, ZoneInfo & { readonly access?: ReadonlyArray<string> }> => {
  if (!withAccess) return { ...catalogue }
  const access = accessList(plan, policy)
  const body: Record<string, ZoneInfo & { readonly access?: ReadonlyArray<string> }> = {}
  for (const [key, info] of Object.entries(catalogue)) {
    body[key] = inPlan(plan, key) ? { ...info, access } : info
  }
  return body
}
