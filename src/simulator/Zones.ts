/**
 * The zone catalogue served by `GET /v3/zones`, and the key's plan.
 *
 * `zones.json` beside this file is a verbatim copy of the project fixture
 * `shared/fixtures/electricity-maps/zones.json`, the real `/v3/zones` answer recorded by
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

/** `undefined` plan: the key may query every zone, as with an unrestricted key. */
export type Plan = ReadonlySet<string> | undefined

export const inPlan = (plan: Plan, zone: string): boolean => plan === undefined || plan.has(zone)

/**
 * The `/v3/zones` body. With a valid token the real API adds `access` to the zones the key may
 * query (`["*"]` when nothing restricts it); without a token it sends the bare list, which is how
 * the fixture was recorded.
 */
export const zonesBody = (
  catalogue: ZoneCatalogue,
  plan: Plan,
  withAccess: boolean
): Record<string, ZoneInfo & { readonly access?: ReadonlyArray<string> }> => {
  if (!withAccess) return { ...catalogue }
  const body: Record<string, ZoneInfo & { readonly access?: ReadonlyArray<string> }> = {}
  for (const [key, info] of Object.entries(catalogue)) {
    if (plan === undefined) body[key] = { ...info, access: ["*"] }
    else if (plan.has(key)) body[key] = { ...info, access: PLAN_ACCESS }
    else body[key] = info
  }
  return body
}
