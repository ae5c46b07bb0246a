/**
 * The start-up zone check (CONTRACT section 4): one call to `/zones`; configured keys that do not
 * exist are reported with the closest real keys and left out of polling; keys outside the plan
 * are reported. If `/zones` cannot be had, polling starts with every configured zone.
 */
import { Data, Effect } from "effect"
import { PollerConfig } from "./Config.js"
import type { ZoneCatalog } from "./Domain.js"
import { ElectricityMaps } from "./ElectricityMaps.js"

export class NoValidZones extends Data.TaggedError("NoValidZones")<{ readonly details: ReadonlyArray<string> }> {
  override get message(): string {
    return ["no configured zone exists in Electricity Maps, nothing to poll:", ...this.details.map((d) => `  ${d}`)].join("\n")
  }
}

export const editDistance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

const sharedPrefix = (a: string, b: string): number => {
  let n = 0
  while (n < a.length && n < b.length && a[n] === b[n]) n++
  return n
}

/**
 * The real keys closest to `wanted`: a case-insensitive match first, then small edit distances,
 * then keys that extend or truncate it, then small edit distances and long shared prefixes (`US-NY-NYISO` → `US-NY-NYIS`, `us-cal-ciso` → `US-CAL-CISO`).
 */
export const suggestZones = (wanted: string, known: ReadonlyArray<string>, limit = 3): Array<string> => {
  const upper = wanted.toUpperCase()
  return known
    .map((key) => {
      const keyUpper = key.toUpperCase()
      return {
        key,
        exact: keyUpper === upper,
        nested: keyUpper.startsWith(upper) || upper.startsWith(keyUpper),
        distance: editDistance(upper, keyUpper),
        prefix: sharedPrefix(upper, keyUpper)
      }
    })
    .filter((c) => c.exact || (c.nested && c.prefix >= 3) || c.distance <= Math.max(2, Math.floor(upper.length / 4)) || c.prefix >= Math.max(3, upper.length - 2))
    .sort(
      (a, b) =>
        Number(b.exact) - Number(a.exact) ||
        Number(b.nested) - Number(a.nested) ||
        a.distance - b.distance || b.prefix - a.prefix || (a.key < b.key ? -1 : 1)
    )
    .slice(0, limit)
    .map((c) => c.key)
}

/** True when an `access` list lets the key ask for the latest carbon intensity. */
export const coversLatest = (access: ReadonlyArray<string>): boolean =>
  access.some((path) => {
    const p = path.replace(/^\/?(v3\/)?/, "")
    return p === "*" || p === "carbon-intensity/latest" || p === "carbon-intensity/*" || p === "carbon-intensity"
  })

export interface ZoneCheckResult {
  readonly pollable: ReadonlyArray<string>
  readonly unknown: ReadonlyArray<{ readonly zone: string; readonly suggestions: ReadonlyArray<string> }>
  readonly outsidePlan: ReadonlyArray<string>
}

/** Pure: what the catalogue says about the configured zones. */
export const checkAgainstCatalog = (configured: ReadonlyArray<string>, catalog: ZoneCatalog): ZoneCheckResult => {
  const known = Object.keys(catalog)
  // `access` only appears when the API accepted the token; without it there is no plan to check.
  const planKnown = known.some((key) => catalog[key]?.access !== undefined)
  const unknown = configured
    .filter((zone) => !(zone in catalog))
    .map((zone) => ({ zone, suggestions: suggestZones(zone, known) }))
  const pollable = configured.filter((zone) => zone in catalog)
  const outsidePlan = planKnown ? pollable.filter((zone) => !coversLatest(catalog[zone]?.access ?? [])) : []
  return { pollable, unknown, outsidePlan }
}

export const describeUnknown = (entry: ZoneCheckResult["unknown"][number]): string =>
  `zone ${entry.zone} does not exist${entry.suggestions.length > 0 ? `; did you mean ${entry.suggestions.join(", ")}?` : ""}`

/** Runs the check and returns the zones to poll; fails only when none of them exists. */
export const checkConfiguredZones = Effect.gen(function* () {
  const settings = yield* PollerConfig
  const api = yield* ElectricityMaps
  const catalog = yield* Effect.either(api.zones)
  if (catalog._tag === "Left") {
    yield* Effect.logWarning(`zone check skipped, polling all configured zones: ${catalog.left.message}`)
    return settings.zones
  }
  const result = checkAgainstCatalog(settings.zones, catalog.right)
  for (const entry of result.unknown) {
    yield* Effect.logError(`${describeUnknown(entry)} — left out of polling; fix ZONES`).pipe(
      Effect.annotateLogs({ zone: entry.zone, suggestions: entry.suggestions.join(",") })
    )
  }
  for (const zone of result.outsidePlan) {
    yield* Effect.logWarning(
      `zone ${zone} is outside your API plan (no access to carbon-intensity/latest); the API will answer 401 for it`
    ).pipe(Effect.annotateLogs({ zone }))
  }
  if (result.pollable.length === 0) {
    return yield* new NoValidZones({ details: result.unknown.map(describeUnknown) })
  }
  return result.pollable
})

/** The `zones` command: keys and names matching a word, marking those the key may query. */
export const listZones = (search: string | undefined) =>
  Effect.gen(function* () {
    const api = yield* ElectricityMaps
    const catalog = yield* api.zones
    const word = search?.toLowerCase()
    const planKnown = Object.values(catalog).some((z) => z.access !== undefined)
    return Object.entries(catalog)
      .filter(([key, z]) =>
        word === undefined || [key, z.zoneName ?? "", z.countryName ?? ""].some((s) => s.toLowerCase().includes(word))
      )
      .map(([key, z]) => {
        const mark = planKnown ? (coversLatest(z.access ?? []) ? "✓ " : "  ") : ""
        const name = [z.zoneName, z.countryName].filter((s) => s !== undefined).join(", ")
        return `${mark}${key.padEnd(16)} ${name}`
      })
  })
