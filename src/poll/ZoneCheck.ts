/**
 * The zone check: the source's catalogue against the configured zones. Keys that do not exist are
 * reported with the closest real keys and left out of polling, but never silently: they stay in
 * the cache's `unavailable` with their reason, and the catalogue is asked again (at most hourly)
 * so a zone that appears later is polled. Keys outside the plan are reported and still polled (a
 * plan can change). An empty or unreachable catalogue polls every configured zone.
 */
import { Clock, Context, Data, Effect, FiberRef, Option, Ref } from "effect"
import { PollingConfig } from "../config/PollingConfig.js"
import { editDistance } from "../domain/EditDistance.js"
import type { ZoneCatalogue } from "../domain/Reading.js"
import type { ZonePlan } from "../domain/ZonePlan.js"
import { CarbonSource, SourceError } from "../ports/CarbonSource.js"
import { pollsAgain } from "./RunMode.js"
import { suggestByName } from "./ZoneNames.js"

export class NoValidZones extends Data.TaggedError("NoValidZones")<{ readonly details: ReadonlyArray<string> }> {
  override get message(): string {
    return ["no configured zone exists in Electricity Maps, nothing to poll:", ...this.details.map((d) => `  ${d}`)]
      .join("\n")
  }
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
    .filter((c) =>
      c.exact || (c.nested && c.prefix >= 3) || c.distance <= Math.max(2, Math.floor(upper.length / 4)) ||
      c.prefix >= Math.max(3, upper.length - 2)
    )
    .sort(
      (a, b) =>
        Number(b.exact) - Number(a.exact) ||
        Number(b.nested) - Number(a.nested) ||
        a.distance - b.distance || b.prefix - a.prefix || (a.key < b.key ? -1 : 1)
    )
    .slice(0, limit)
    .map((c) => c.key)
}

/** Keys that look like the word first, then zones whose name it gives (`london` → `13 (London)`). */
const suggestionsFor = (wanted: string, known: ReadonlyArray<string>, catalogue: ZoneCatalogue): Array<string> => {
  const byKey = suggestZones(wanted, known)
  const byName = suggestByName(wanted, catalogue).filter((label) => !byKey.some((key) => label.startsWith(`${key} (`)))
  return [...byKey, ...byName].slice(0, 3)
}

export interface ZoneCheckResult {
  readonly pollable: ReadonlyArray<string>
  readonly unknown: ReadonlyArray<{ readonly zone: string; readonly suggestions: ReadonlyArray<string> }>
  readonly outsidePlan: ReadonlyArray<string>
  /** Pollable zones whose plan, as the catalogue says, does not cover forecasts. */
  readonly withoutForecast: ReadonlyArray<string>
}

/** Pure: what the catalogue says about the configured zones. */
export const checkAgainstCatalogue = (configured: ReadonlyArray<string>, catalogue: ZoneCatalogue): ZoneCheckResult => {
  const byKey = new Map(catalogue.map((zone) => [zone.zone, zone] as const))
  const known = [...byKey.keys()]
  const unknown = configured
    .filter((zone) => !byKey.has(zone))
    .map((zone) => ({ zone, suggestions: suggestionsFor(zone, known, catalogue) }))
  const pollable = configured.filter((zone) => byKey.has(zone))
  const outsidePlan = pollable.filter((zone) => byKey.get(zone)?.access?.latest === false)
  const withoutForecast = pollable.filter((zone) => byKey.get(zone)?.access?.forecast === false)
  return { pollable, unknown, outsidePlan, withoutForecast }
}

export const describeUnknown = (entry: ZoneCheckResult["unknown"][number]): string =>
  `zone ${entry.zone} does not exist${
    entry.suggestions.length > 0 ? `; did you mean ${entry.suggestions.join(", ")}?` : ""
  }`

/** How often the catalogue is asked again while a configured zone is missing from it. */
export const CATALOGUE_RECHECK_MILLIS = 60 * 60 * 1000

/**
 * A key missing from the catalogue, as the zone's failure: its cache entry names the closest keys.
 * `again`: whether this run asks the catalogue again (not under `--once`), as the message says.
 */
const notInCatalogue = (entry: ZoneCheckResult["unknown"][number], again: boolean): SourceError => {
  const said = `not in the provider's zone catalogue${
    entry.suggestions.length > 0 ? `; did you mean ${entry.suggestions.join(", ")}?` : ""
  }${again ? " (asked again hourly)" : ""}`
  return new SourceError({
    zone: entry.zone,
    reason: "ZoneNotFound",
    providerMessage: said,
    detail: `zone ${entry.zone}: ZoneNotFound: ${said}`
  })
}

const planOf = (result: ZoneCheckResult, again: boolean): ZonePlan => ({
  pollable: result.pollable,
  withoutForecast: result.withoutForecast,
  excluded: result.unknown.map((entry) => notInCatalogue(entry, again))
})

export class ZoneCheck extends Effect.Service<ZoneCheck>()("carbon-poller/ZoneCheck", {
  effect: Effect.gen(function*() {
    const { zones } = yield* PollingConfig
    const source = yield* CarbonSource
    const everything: ZonePlan = { pollable: zones, excluded: [] }
    const state = yield* Ref.make({ plan: everything, checkedAt: Option.none<number>() })

    /** Asks the catalogue; `undefined` when it cannot be had or is empty. */
    const ask = Effect.gen(function*() {
      const catalogue = yield* Effect.either(source.catalogue)
      if (catalogue._tag === "Left") {
        yield* Effect.logWarning(`zone check skipped, polling all configured zones: ${catalogue.left.message}`)
        return undefined
      }
      if (catalogue.right.length === 0) {
        yield* Effect.logWarning("zone check skipped: the zone catalogue came back empty; polling all configured zones")
        return undefined
      }
      return checkAgainstCatalogue(zones, catalogue.right)
    })

    const report = (result: ZoneCheckResult) =>
      Effect.gen(function*() {
        const again = yield* FiberRef.get(pollsAgain)
        for (const entry of result.unknown) {
          const fate = again ? "left out of polling, asked again hourly" : "left out of this poll"
          yield* Effect.logError(`${describeUnknown(entry)}; ${fate}; fix ZONES`).pipe(
            Effect.annotateLogs({ zone: entry.zone, suggestions: entry.suggestions.join(",") })
          )
        }
        for (const zone of result.outsidePlan) {
          yield* Effect.logWarning(
            `zone ${zone} is outside your API plan (no access to the latest carbon intensity); the API will answer 401 for it`
          ).pipe(Effect.annotateLogs({ zone }))
        }
      })

    /** The check at start: fails only when the catalogue lists zones and none of ours. */
    const atStart: Effect.Effect<ZonePlan, NoValidZones> = Effect.gen(function*() {
      const result = yield* ask
      const now = yield* Clock.currentTimeMillis
      if (result === undefined) {
        yield* Ref.set(state, { plan: everything, checkedAt: Option.some(now) })
        return everything
      }
      yield* report(result)
      if (result.pollable.length === 0) return yield* new NoValidZones({ details: result.unknown.map(describeUnknown) })
      const plan = planOf(result, yield* FiberRef.get(pollsAgain))
      yield* Ref.set(state, { plan, checkedAt: Option.some(now) })
      return plan
    })

    /** The plan for the next poll, asking the catalogue again when zones are missing and an hour has passed. */
    const current: Effect.Effect<ZonePlan> = Effect.gen(function*() {
      const { checkedAt, plan } = yield* Ref.get(state)
      const now = yield* Clock.currentTimeMillis
      const due = Option.match(checkedAt, { onNone: () => true, onSome: (at) => now - at >= CATALOGUE_RECHECK_MILLIS })
      if (plan.excluded.length === 0 || !due) return plan
      const result = yield* ask
      // A catalogue that lost every zone of ours is more likely broken than right: keep polling.
      const next = result === undefined || result.pollable.length === 0
        ? everything
        : planOf(result, yield* FiberRef.get(pollsAgain))
      for (const { zone } of plan.excluded) {
        if (zone !== undefined && next.pollable.includes(zone)) {
          yield* Effect.log(`zone ${zone} is now in the catalogue; polling it`)
        }
      }
      yield* Ref.set(state, { plan: next, checkedAt: Option.some(now) })
      return next
    })

    return { atStart, current } as const
  })
}) {}

/**
 * The plan the zone check made at start. Only the start provides it, so what must begin from that
 * plan (the forecast refresher) cannot be built before the check.
 */
export class StartPlan extends Context.Tag("carbon-poller/StartPlan")<StartPlan, ZonePlan>() {}

/** The `zones` command: keys and names matching a word, marking those the key may query. */
export const listZones = (search: string | undefined) =>
  Effect.gen(function*() {
    const source = yield* CarbonSource
    const catalogue = yield* source.catalogue
    const word = search?.toLowerCase()
    const planKnown = catalogue.some((zone) => zone.access !== undefined)
    return catalogue
      .filter((zone) =>
        word === undefined ||
        [zone.zone, zone.name ?? "", zone.country ?? ""].some((s) => s.toLowerCase().includes(word))
      )
      .map((zone) => {
        const mark = planKnown ? (zone.access?.latest === true ? "✓ " : "  ") : ""
        const name = [zone.name, zone.country].filter((s) => s !== undefined).join(", ")
        return `${mark}${zone.zone.padEnd(16)} ${name}`
      })
  })
