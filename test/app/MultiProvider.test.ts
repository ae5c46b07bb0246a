/**
 * More than one provider in one run, over the real assembly with stand-ins: Electricity Maps from
 * the fake API, the UK and WattTime providers as static sources keyed by their own ids. Keys are
 * routed to their provider, only the named providers are built, a marginal deployment ranks
 * WattTime's values, a chain's next link answers in the same poll, and the file says where each
 * value came from.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer, Metric, MetricLabel } from "effect"
import * as AppLayer from "../../src/app/AppLayer.js"
import { pollOnceAndExit, printZones } from "../../src/app/Commands.js"
import { exitCodeOf } from "../../src/app/FatalError.js"
import type { Basis } from "../../src/domain/Provider.js"
import * as Metrics from "../../src/observability/Metrics.js"
import { Poller } from "../../src/poll/Poller.js"
import { listZones } from "../../src/poll/ZoneCheck.js"
import { CarbonSource } from "../../src/ports/CarbonSource.js"
import { respond } from "../support/FakeApi.js"
import { makeHarness } from "../support/harness.js"
import type { Settings } from "../support/settings.js"
import { staticShape, type StaticSourceOptions } from "../support/StaticSource.js"

const TARGET = "/cache/carbon_cache.json"
const AVERAGE_DIRECT: Basis = { signal: "average", emissionFactorType: "direct" }
const MARGINAL_DIRECT: Basis = { signal: "marginal", emissionFactorType: "direct" }

const adapter = (intensities: Readonly<Record<string, number>>, options: StaticSourceOptions) =>
  Layer.succeed(CarbonSource, staticShape(intensities, options))

/** The service with the UK and WattTime stand-ins beside Electricity Maps; `built` records which were built. */
const appWith = (
  options: {
    readonly ukci?: StaticSourceOptions
    readonly watttime?: StaticSourceOptions
    readonly built?: Array<string>
  } = {}
) => {
  const recorded = (provider: string, layer: Layer.Layer<CarbonSource>) =>
    Layer.effectDiscard(Effect.sync(() => options.built?.push(provider))).pipe(Layer.provideMerge(layer))
  return AppLayer.assemble({
    sources: [
      AppLayer.sources[0],
      {
        provider: "ukci",
        layer: recorded(
          "ukci",
          adapter({ national: 150, "13": 120 }, { provider: "ukci", basis: AVERAGE_DIRECT, ...options.ukci })
        )
      },
      {
        provider: "watttime",
        layer: recorded(
          "watttime",
          adapter({ CAISO_NORTH: 400 }, { provider: "watttime", basis: MARGINAL_DIRECT, ...options.watttime })
        )
      }
    ],
    outputs: AppLayer.outputs
  })
}

/** A counter's value under the given labels, as `/metrics` would show it. */
const counted = (counter: Metric.Metric.Counter<number>, labels: Readonly<Record<string, string>>) =>
  Effect.map(
    Metric.value(Metric.taggedWithLabels(counter, Object.entries(labels).map(([k, v]) => MetricLabel.make(k, v)))),
    (state) => state.count
  )

const readFile = (h: ReturnType<typeof makeHarness>) => JSON.parse(h.memory.read(TARGET) ?? "null")

const harness = (settings: Partial<Settings>, api: Parameters<typeof makeHarness>[0]["api"] = {}) =>
  makeHarness({
    api: { intensities: { DE: 300, GB: 200 }, answersFactorAsked: true, ...api },
    settings: { maxRetries: 0, ...settings }
  })

describe("a registry of sources", () => {
  it.effect("routes each key to its provider with its own id, and writes the key as configured", () =>
    Effect.gen(function*() {
      const asked: Array<string> = []
      const h = harness({ zones: ["DE", "ukci:13"], emissionFactorType: "direct" })
      yield* pollOnceAndExit.pipe(Effect.provide(h.over(appWith({ ukci: { asked } }).ServicesLayer)))
      const file = readFile(h)
      assert.deepStrictEqual(asked, ["13"])
      assert.deepStrictEqual(file.sorted_by_carbon, ["ukci:13", "DE"])
      assert.strictEqual(file.regions["ukci:13"].zone, "ukci:13")
      assert.deepStrictEqual(file.sources, {
        "ukci:13": { provider: "ukci", signal: "average", emissionFactorType: "direct", fallback: false },
        DE: { provider: "electricitymaps", signal: "average", emissionFactorType: "direct", fallback: false }
      })
      assert.strictEqual(h.api.requestsFor("13"), 0)
    }))

  it.effect("builds only the providers ZONES names", () =>
    Effect.gen(function*() {
      const built: Array<string> = []
      const h = harness({ zones: ["DE", "GB|ukci:national"], emissionFactorType: "direct" })
      yield* pollOnceAndExit.pipe(Effect.provide(h.over(appWith({ built }).ServicesLayer)))
      assert.deepStrictEqual(built, ["ukci"])
    }))

  it.effect("a UK-only run asks Electricity Maps nothing", () =>
    Effect.gen(function*() {
      const h = harness({ zones: ["ukci:13", "ukci:national"], emissionFactorType: "direct" })
      yield* pollOnceAndExit.pipe(Effect.provide(h.over(appWith().ServicesLayer)))
      assert.deepStrictEqual(readFile(h).sorted_by_carbon, ["ukci:13", "ukci:national"])
      assert.strictEqual(h.api.requests.length, 0)
    }))
})

describe("like with like", () => {
  // A zone of another basis is refused while the configuration is read (test/config/BasisCheck.test.ts).
  it.effect("accepts a WattTime deployment ranking marginal values", () =>
    Effect.gen(function*() {
      const h = harness({ zones: ["watttime:CAISO_NORTH"], signal: "marginal", emissionFactorType: "direct" })
      yield* pollOnceAndExit.pipe(Effect.provide(h.over(appWith().ServicesLayer)))
      assert.deepStrictEqual(readFile(h).sources, {
        "watttime:CAISO_NORTH": {
          provider: "watttime",
          signal: "marginal",
          emissionFactorType: "direct",
          fallback: false
        }
      })
    }))
})

describe("fallback chains", () => {
  const chain = { zones: ["DE", "GB|ukci:national"], emissionFactorType: "direct" as const }

  it.effect("says fallback when the first key is missing from its provider's catalogue and a later link answers", () =>
    Effect.gen(function*() {
      // The zone check drops XX-NOPE (Electricity Maps does not list it), so the UK link is the
      // first one asked: still a fallback, since the value is not XX-NOPE's own provider's.
      const h = harness({ zones: ["DE", "XX-NOPE|ukci:national"], emissionFactorType: "direct" })
      const before = yield* counted(Metrics.fallbacks, { provider: "ukci" })
      yield* pollOnceAndExit.pipe(Effect.provide(h.over(appWith().ServicesLayer)))
      const file = readFile(h)
      assert.strictEqual(file.regions["XX-NOPE"].carbonIntensity, 150)
      assert.deepStrictEqual(file.sources["XX-NOPE"], {
        provider: "ukci",
        signal: "average",
        emissionFactorType: "direct",
        fallback: true
      })
      assert.strictEqual((yield* counted(Metrics.fallbacks, { provider: "ukci" })) - before, 1)
      assert.isTrue(
        h.logLines.some((line) => line.includes("not in its provider's zone catalogue; fallback ukci:national"))
      )
    }))

  it.effect("asks the next link in the same poll when the first fails, and stores the value under the first key", () =>
    Effect.gen(function*() {
      const h = harness(chain, { scripts: { GB: [respond(503, "")] } })
      const app = appWith()
      const before = {
        fallbacks: yield* counted(Metrics.fallbacks, { provider: "ukci" }),
        failures: yield* counted(Metrics.providerFailures, { provider: "electricitymaps", reason: "ServerError" })
      }
      const file = yield* Effect.gen(function*() {
        const poller = yield* Poller
        const first = yield* poller.pollOnce(["DE", "GB"])
        assert.match(
          h.logLines.find((line) => line.includes("\"event\":\"poll\"")) ?? "",
          /fallback answered for GB \(ukci\)/
        )
        assert.strictEqual(first.fresh.length, 2)
        const afterFallback = readFile(h)
        // Electricity Maps answers GB again: the next poll's value is its own.
        yield* poller.pollOnce(["DE", "GB"])
        return { afterFallback, recovered: readFile(h) }
      }).pipe(Effect.provide(h.over(app.ServicesLayer)))
      assert.strictEqual(file.afterFallback.regions.GB.zone, "GB")
      assert.strictEqual(file.afterFallback.regions.GB.carbonIntensity, 150)
      assert.deepStrictEqual(file.afterFallback.sources.GB, {
        provider: "ukci",
        signal: "average",
        emissionFactorType: "direct",
        fallback: true
      })
      assert.strictEqual(file.afterFallback.sources.DE.fallback, false)
      assert.notProperty(file.afterFallback.regions, "ukci:national")
      assert.deepStrictEqual(file.recovered.sources.GB, {
        provider: "electricitymaps",
        signal: "average",
        emissionFactorType: "direct",
        fallback: false
      })
      assert.strictEqual(file.recovered.regions.GB.carbonIntensity, 200)
      // Counted by provider: one failure of Electricity Maps, one fallback of the UK API (its
      // requests are counted where they are sent, which a static stand-in never does).
      assert.strictEqual((yield* counted(Metrics.fallbacks, { provider: "ukci" })) - before.fallbacks, 1)
      assert.strictEqual(
        (yield* counted(Metrics.providerFailures, { provider: "electricitymaps", reason: "ServerError" })) -
          before.failures,
        1
      )
    }))

  it.effect("does not ask the next link when the first answers", () =>
    Effect.gen(function*() {
      const asked: Array<string> = []
      const h = harness(chain)
      yield* pollOnceAndExit.pipe(Effect.provide(h.over(appWith({ ukci: { asked } }).ServicesLayer)))
      assert.deepStrictEqual(asked, [])
      assert.strictEqual(readFile(h).sources.GB.provider, "electricitymaps")
    }))

  it.effect("asks the next link when the first link's reading is refused by the truthfulness rules", () =>
    Effect.gen(function*() {
      // Electricity Maps answers GB for another zone: refused as WrongZone, then the UK API answers.
      const wrongZone = JSON.stringify({
        zone: "FR",
        carbonIntensity: 10,
        datetime: "1970-01-01T00:00:00.000Z",
        updatedAt: "1970-01-01T00:00:00.000Z",
        emissionFactorType: "direct",
        isEstimated: false
      })
      const h = harness(chain, { scripts: { GB: [respond(200, wrongZone)] } })
      yield* pollOnceAndExit.pipe(Effect.provide(h.over(appWith().ServicesLayer)))
      const file = readFile(h)
      assert.strictEqual(file.sources.GB.provider, "ukci")
      assert.strictEqual(file.regions.GB.carbonIntensity, 150)
      assert.isTrue(h.logLines.some((line) => line.includes("WrongZone") && line.includes("fallback ukci:national")))
    }))

  it.effect("holds the fallback's reading to the rules against its own key", () =>
    Effect.gen(function*() {
      const h = harness(chain, { scripts: { GB: [respond(503, "")] } })
      // The UK stand-in answers `national` with a reading of the wrong emission factor.
      const app = appWith({ ukci: { basis: AVERAGE_DIRECT, overrides: { emissionFactorType: "lifecycle" } } })
      yield* pollOnceAndExit.pipe(Effect.provide(h.over(app.ServicesLayer)))
      const file = readFile(h)
      assert.notProperty(file.regions, "GB")
      assert.strictEqual(file.unavailable.GB.reason, "ServerError")
      assert.isTrue(
        h.logLines.some((line) => line.includes("fallback ukci:national failed too (WrongEmissionFactor)"))
      )
    }))

  it.effect("keeps a kept entry's provenance while it stands in for a failed chain", () =>
    Effect.gen(function*() {
      const down = new Set<string>()
      const h = harness(chain, { scripts: { GB: [respond(503, ""), respond(503, "")] } })
      const kept = yield* Effect.gen(function*() {
        const poller = yield* Poller
        yield* poller.pollOnce(["DE", "GB"])
        down.add("national")
        yield* poller.pollOnce(["DE", "GB"])
        return readFile(h)
      }).pipe(Effect.provide(h.over(appWith({ ukci: { down } }).ServicesLayer)))
      assert.strictEqual(kept.regions.GB.carbonIntensity, 150)
      assert.deepStrictEqual(kept.sources.GB.provider, "ukci")
      assert.isTrue(kept.sources.GB.fallback)
    }))
})

describe("zones of every provider", () => {
  it.effect("a link its provider's catalogue lacks is not asked; its chain polls the link that exists", () =>
    Effect.gen(function*() {
      const asked: Array<string> = []
      const h = harness({ zones: ["DE", "ukci:nationl|GB"], emissionFactorType: "direct" })
      yield* pollOnceAndExit.pipe(Effect.provide(h.over(appWith({ ukci: { asked } }).ServicesLayer)))
      assert.deepStrictEqual(asked, [])
      assert.strictEqual(readFile(h).sources["ukci:nationl"].provider, "electricitymaps")
      assert.isTrue(
        h.logLines.some((line) => line.includes("zone ukci:nationl does not exist; did you mean ukci:national"))
      )
    }))

  it.effect("the zones command lists each provider's zones, and says which could not be listed", () =>
    Effect.gen(function*() {
      const h = harness({ zones: ["DE"] })
      const app = appWith({ watttime: { catalogueRefused: "WattTime's region list needs WATTTIME_USERNAME" } })
      const lines = yield* listZones("").pipe(Effect.provide(h.over(app.CatalogueLayer)))
      const keys = lines.map((line) => line.trim().split(/\s+/)[0])
      assert.includeMembers(keys, ["DE", "ukci:national", "ukci:13"])
      assert.isTrue(
        lines.includes("# static watttime: zones not listed: WattTime's region list needs WATTTIME_USERNAME")
      )
    }))

  it.effect("the zones command exits 1 when no zone matches, though a provider's note is printed", () =>
    Effect.gen(function*() {
      const h = harness({ zones: ["DE"] })
      const app = appWith({ watttime: { catalogueRefused: "WattTime's region list needs WATTTIME_USERNAME" } })
      const outcome = yield* Effect.either(printZones("qqqzzz").pipe(Effect.provide(h.over(app.CatalogueLayer))))
      assert.isTrue(Either.isLeft(outcome) && outcome.left._tag === "NoZoneMatches")
      assert.strictEqual(Either.isLeft(outcome) ? exitCodeOf(outcome.left) : 0, 1)
      // A word that matches still lists, with the note beside it.
      yield* printZones("national").pipe(Effect.provide(h.over(app.CatalogueLayer)))
    }))
})
