/**
 * The zone check: the source's catalogue against the configured zones. Keys that do not exist are
 * reported with the closest real keys and left out of polling, but never silently: they stay in
 * the cache's `unavailable` with their reason, and the catalogue is asked again (at most hourly)
 * so a zone that appears later is polled. Keys outside the plan are reported and still polled (a
 * plan can change). An empty or unreachable catalogue polls every configured zone.
 */
import { Clock, Context, Data, Effect, Either, FiberRef, Option, Ref } from "effect"
import { PollingConfig } from "../config/PollingConfig.js"
import { editDistance } from "../domain/EditDistance.js"
import { asKey, parseZoneRef, type ProviderId, type ZoneRef } from "../domain/Provider.js"
import { providerName } from "../domain/ProviderFacts.js"
import type { ZoneCatalogue } from "../domain/Reading.js"
import { providersOf, type ZoneChain } from "../domain/ZoneChain.js"
import type { ZonePlan } from "../domain/ZonePlan.js"
import { SourceError } from "../ports/CarbonSource.js"
import { SourceRegistry } from "../ports/SourceRegistry.js"
import { pollsAgain } from "./RunMode.js"
import { suggestByName } from "./ZoneNames.js"

export class NoValidZones extends Data.TaggedError("NoValidZones")<{ readonly details: ReadonlyArray<string> }> {
  override get message(): string {
    return ["no configured zone exists at its provider, nothing to poll:", ...this.details.map((d) => `  ${d}`)]
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

/** A configured link its provider's catalogue does not list, with the closest it does. */
export interface UnknownLink {
  readonly zone: string
  readonly suggestions: ReadonlyArray<string>
}

export interface ZoneCheckResult {
  /** Chains with at least one link left, each with only the links their catalogues list. */
  readonly pollable: ReadonlyArray<ZoneChain>
  /** Every link missing from its provider's catalogue. */
  readonly unknown: ReadonlyArray<UnknownLink>
  /** Chains none of whose links exists: their first link, as the chain's key. */
  readonly gone: ReadonlyArray<UnknownLink>
  /** Links outside the plan as the catalogue says (still polled: a plan can change). */
  readonly outsidePlan: ReadonlyArray<string>
  /**
   * Links missing from a catalogue that lists only the account's zones (WattTime's): outside the
   * plan or not a zone at all, which the catalogue cannot tell; still polled, so the provider's
   * answer says which.
   */
  readonly notInAccount: ReadonlyArray<UnknownLink>
  /** Pollable keys whose own provider's plan, as its catalogue says, does not cover forecasts. */
  readonly withoutForecast: ReadonlyArray<string>
}

/**
 * The closest zones a catalogue lists, written as the link would be (`ukci:13 (London)`): by
 * name first, so a place name finds its region, then keys by spelling.
 */
const suggestionsFor = (link: ZoneRef, catalogue: ZoneCatalogue): ReadonlyArray<string> => {
  const byId = catalogue.map((zone) => ({ ...zone, zone: parseZoneRef(zone.zone).id }))
  // A key found by its name is shown with it (the name is why); one found by spelling is enough alone.
  const prefix = link.key.slice(0, link.key.length - link.id.length)
  const byName = suggestByName(link.id, byId).map((label) => `${prefix}${label}`)
  const bySpelling = suggestZones(link.id, byId.map((zone) => zone.zone)).map((id) => asKey(link, id))
  return [...new Set([...byName, ...bySpelling])].slice(0, 3)
}

/**
 * Pure: what each provider's catalogue says about the configured chains. A provider whose
 * catalogue is `undefined` (unreachable, empty) is taken at its word for every link: polled. A
 * link missing from a catalogue that lists only the account's zones is polled too (`notInAccount`).
 */
export const checkChains = (
  chains: ReadonlyArray<ZoneChain>,
  catalogueOf: (provider: ProviderId) => ZoneCatalogue | undefined,
  listsOnlyAccount: (provider: ProviderId) => boolean = () => false
): ZoneCheckResult => {
  const pollable: Array<ZoneChain> = []
  const unknown: Array<UnknownLink> = []
  const gone: Array<UnknownLink> = []
  const outsidePlan: Array<string> = []
  const notInAccount: Array<UnknownLink> = []
  const withoutForecast: Array<string> = []
  for (const chain of chains) {
    const kept: Array<ZoneRef> = []
    const missing: Array<UnknownLink> = []
    for (const [index, link] of chain.links.entries()) {
      const catalogue = catalogueOf(link.provider)
      if (catalogue === undefined) {
        kept.push(link)
        continue
      }
      const listed = catalogue.find((zone) => parseZoneRef(zone.zone).id === link.id)
      if (listed === undefined) {
        const entry = { zone: link.key, suggestions: suggestionsFor(link, catalogue) }
        if (listsOnlyAccount(link.provider)) {
          notInAccount.push(entry)
          kept.push(link)
        } else {
          missing.push(entry)
        }
        continue
      }
      kept.push(link)
      if (listed.access?.latest === false) outsidePlan.push(link.key)
      if (index === 0 && listed.access?.forecast === false) withoutForecast.push(chain.key)
    }
    for (const link of missing) unknown.push(link)
    const [first, ...rest] = kept
    if (first === undefined) gone.push({ ...missing[0]!, zone: chain.key })
    else pollable.push({ key: chain.key, links: [first, ...rest] })
  }
  return { pollable, unknown, gone, outsidePlan, notInAccount, withoutForecast }
}

export const describeUnknown = (entry: UnknownLink): string =>
  `zone ${entry.zone} does not exist${
    entry.suggestions.length > 0 ? `; did you mean ${entry.suggestions.join(", ")}?` : ""
  }`

/** How often the catalogue is asked again while a configured zone is missing from it. */
export const CATALOGUE_RECHECK_MILLIS = 60 * 60 * 1000

/**
 * A key missing from the catalogue, as the zone's failure: its cache entry names the closest keys.
 * `again`: whether this run asks the catalogue again (not under `--once`), as the message says.
 */
const notInCatalogue = (entry: UnknownLink, again: boolean): SourceError => {
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
  pollable: result.pollable.map((chain) => chain.key),
  chains: result.pollable,
  withoutForecast: result.withoutForecast,
  excluded: result.gone.map((entry) => notInCatalogue(entry, again))
})

/** Whether a link the configuration names is missing from the plan: then the catalogues are asked again. */
const incomplete = (plan: ZonePlan, configured: ReadonlyArray<ZoneChain>): boolean =>
  plan.excluded.length > 0 ||
  (plan.chains ?? []).some((chain) =>
    chain.links.length < (configured.find((each) => each.key === chain.key)?.links.length ?? 0)
  )

export class ZoneCheck extends Effect.Service<ZoneCheck>()("carbon-poller/ZoneCheck", {
  effect: Effect.gen(function*() {
    const { chains, zones } = yield* PollingConfig
    const registry = yield* SourceRegistry
    const everything: ZonePlan = { pollable: zones, excluded: [], chains }
    const state = yield* Ref.make({ plan: everything, checkedAt: Option.none<number>() })

    /** One provider's catalogue; `undefined` when it cannot be had or is empty (its zones are all polled). */
    const catalogueOf = (provider: ProviderId) =>
      Effect.gen(function*() {
        const name = providerName(provider)
        const catalogue = yield* Effect.either(registry.catalogue(provider))
        if (catalogue._tag === "Left") {
          yield* Effect.logWarning(
            `zone check of ${name} skipped, polling all its configured zones: ${catalogue.left.message}`
          )
          return undefined
        }
        if (catalogue.right.length === 0) {
          yield* Effect.logWarning(
            `zone check of ${name} skipped: its zone catalogue came back empty; polling all its configured zones`
          )
          return undefined
        }
        return catalogue.right
      })

    /** Asks each provider's catalogue; `undefined` when none could be had. */
    const ask = Effect.gen(function*() {
      const providers = [...providersOf(chains)]
      const catalogues = new Map(
        yield* Effect.forEach(providers, (provider) => Effect.map(catalogueOf(provider), (c) => [provider, c] as const))
      )
      if ([...catalogues.values()].every((catalogue) => catalogue === undefined)) return undefined
      const accountOnly = new Set(
        registry.sources.filter((source) => source.catalogueLists === "the account's zones").map((s) => s.provider)
      )
      return checkChains(chains, (provider) => catalogues.get(provider), (provider) => accountOnly.has(provider))
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
        for (const entry of result.notInAccount) {
          yield* Effect.logWarning(
            `zone ${entry.zone} is not among the zones your ${
              providerName(parseZoneRef(entry.zone).provider)
            } account may query: outside your plan, or no such zone${
              entry.suggestions.length > 0 ? ` (did you mean ${entry.suggestions.join(", ")}?)` : ""
            }; polled all the same, so the provider's answer says which`
          ).pipe(Effect.annotateLogs({ zone: entry.zone, suggestions: entry.suggestions.join(",") }))
        }
        for (const zone of result.outsidePlan) {
          yield* Effect.logWarning(
            `zone ${zone} is outside your API plan (no access to the latest carbon intensity); its provider will refuse it`
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
      if (!incomplete(plan, chains) || !due) return plan
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

/** How a line of `listZones` that says something about a provider, rather than listing a zone, begins. */
const PROVIDER_NOTE = "# "

/** Whether a line of `listZones` lists a zone (not a provider's note): zone keys never begin with `#`. */
export const listsZone = (line: string): boolean => !line.startsWith(PROVIDER_NOTE)

/**
 * The `zones` command: every provider's keys and names matching a word, marking those the plan
 * covers; a provider whose catalogue cannot be had (it needs credentials this run lacks) says so
 * in one line instead.
 */
export const listZones = (search: string | undefined) =>
  Effect.gen(function*() {
    const registry = yield* SourceRegistry
    const word = search?.toLowerCase()
    const catalogues = yield* Effect.forEach(registry.sources, (source) =>
      Effect.map(Effect.either(registry.catalogue(source.provider)), (catalogue) => ({ source, catalogue })))
    // Nothing listed at all is the command's failure (exit 1); one provider short is a line of its own.
    const failed = catalogues.flatMap(({ catalogue }) =>
      Either.isLeft(catalogue) ? [catalogue.left] : []
    )
    if (failed.length === catalogues.length && failed[0] !== undefined) return yield* Effect.fail(failed[0])
    const lists = catalogues.map(({ catalogue, source }) => {
      if (Either.isLeft(catalogue)) {
        return [`${PROVIDER_NOTE}${source.name}: zones not listed: ${catalogue.left.message}`]
      }
      const planKnown = catalogue.right.some((zone) => zone.access !== undefined)
      return catalogue.right
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
    return lists.flat()
  })
