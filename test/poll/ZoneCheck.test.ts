import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Either, Option, TestClock } from "effect"
import { parseCommand, USAGE } from "../../src/app/Cli.js"
import { pollOnceAndExit } from "../../src/app/Commands.js"
import { exitCodeOf, NoCacheWritten, NoZoneMatches, UsageError } from "../../src/app/FatalError.js"
import { InvalidConfig } from "../../src/config/Variables.js"
import { parseZoneChains } from "../../src/domain/ZoneChain.js"
import { HttpPortUnavailable } from "../../src/http/HttpListener.js"
import { Poller } from "../../src/poll/Poller.js"
import { checkChains, listZones, NoValidZones, suggestZones, ZoneCheck } from "../../src/poll/ZoneCheck.js"
import { SourceError } from "../../src/ports/CarbonSource.js"
import { toCatalogue } from "../../src/providers/electricitymaps/ElectricityMapsSource.js"
import { coversForecast, coversLatest } from "../../src/providers/electricitymaps/PlanAccess.js"
import { respond, transport } from "../support/FakeApi.js"
import { fixtureJson } from "../support/fixtures.js"
import { makeHarness } from "../support/harness.js"

const KNOWN = Object.keys(fixtureJson("zones.json"))

describe("zone suggestions", () => {
  const cases: ReadonlyArray<[string, string]> = [
    ["US-NY-NYISO", "US-NY-NYIS"],
    ["us-cal-ciso", "US-CAL-CISO"],
    ["US-TEX-ERCOT", "US-TEX-ERCO"],
    ["de", "DE"],
    ["US-MIDW-MIS", "US-MIDW-MISO"]
  ]
  for (const [typed, real] of cases) {
    it(`suggests ${real} first for ${typed}`, () => {
      assert.strictEqual(suggestZones(typed, KNOWN)[0], real)
    })
  }

  it("suggests nothing for a word far from every key", () => {
    assert.deepStrictEqual(suggestZones("NOT-A-REAL-ZONE-AT-ALL", KNOWN), [])
  })
})

/** The check of single-link Electricity Maps chains against one catalogue, as before chains. */
const checkAgainstCatalogue = (zones: ReadonlyArray<string>, catalogue: ReturnType<typeof toCatalogue>) => {
  const result = checkChains(Either.getOrThrow(parseZoneChains(zones.join(","))), () => catalogue)
  return { ...result, pollable: result.pollable.map((chain) => chain.key) }
}

describe("checkAgainstCatalogue", () => {
  const catalog = toCatalogue({
    DE: { zoneName: "Germany", access: ["carbon-intensity/latest", "power-breakdown/latest"] },
    FR: { zoneName: "France", access: ["power-breakdown/latest"] },
    "US-NY-NYIS": { zoneName: "New York", access: ["*"] }
  })

  it("leaves unknown zones out with suggestions and reports zones outside the plan", () => {
    const result = checkAgainstCatalogue(["DE", "FR", "US-NY-NYISO"], catalog)
    assert.deepStrictEqual(result.pollable, ["DE", "FR"])
    assert.deepStrictEqual(result.unknown, [{ zone: "US-NY-NYISO", suggestions: ["US-NY-NYIS"] }])
    assert.deepStrictEqual(result.outsidePlan, ["FR"])
  })

  it("checks no plan when the catalogue carries no access lists (no valid token)", () => {
    const result = checkAgainstCatalogue(["DE", "FR"], toCatalogue({ DE: {}, FR: {} }))
    assert.deepStrictEqual(result.outsidePlan, [])
  })

  it("reads access lists as the API writes them", () => {
    assert.isTrue(coversLatest(["*"]))
    assert.isTrue(coversLatest(["carbon-intensity/latest"]))
    assert.isTrue(coversLatest(["/v3/carbon-intensity/latest"]))
    assert.isFalse(coversLatest(["power-breakdown/latest"]))
    assert.isFalse(coversLatest([]))
  })

  it("reads access entries written with or without a version prefix", () => {
    for (const prefix of ["", "/", "v3/", "v4/", "/v4/"]) {
      assert.isTrue(coversLatest([`${prefix}carbon-intensity/latest`]), prefix)
      assert.isTrue(coversForecast([`${prefix}carbon-intensity/forecast`]), prefix)
      assert.isFalse(coversForecast([`${prefix}carbon-intensity/latest`]), prefix)
    }
  })
})

describe("start-up zone check in the service", () => {
  it.effect("polls only the zones that exist and logs the misspelled one with its suggestion", () =>
    Effect.gen(function*() {
      const h = makeHarness({ api: { intensities: { DE: 300 } }, settings: { zones: ["DE", "US-TEX-ERCOT"] } })
      yield* h.run(pollOnceAndExit)
      assert.strictEqual(h.api.requestsFor("DE"), 1)
      assert.strictEqual(h.api.requestsFor("US-TEX-ERCOT"), 0)
      assert.isTrue(h.logLines.some((l) => l.includes("zone US-TEX-ERCOT does not exist; did you mean US-TEX-ERCO?")))
    }))

  it.effect("starts polling anyway when /zones cannot be had", () =>
    Effect.gen(function*() {
      const h = makeHarness({
        api: { intensities: { DE: 300 }, zonesBody: "<html>502</html>" },
        settings: { zones: ["DE"], maxRetries: 0 }
      })
      yield* h.run(pollOnceAndExit)
      assert.strictEqual(h.api.requestsFor("DE"), 1)
      assert.isTrue(
        h.logLines.some((l) => l.includes("zone check of Electricity Maps skipped, polling all its configured zones"))
      )
    }))

  it.effect("--once fails with exit code 1 when no cache could be written", () =>
    Effect.gen(function*() {
      const h = makeHarness({
        api: { intensities: { DE: 300 }, scripts: { DE: [transport, respond(503, "")] } },
        settings: { zones: ["DE"], maxRetries: 0 }
      })
      const error = yield* Effect.flip(h.run(pollOnceAndExit))
      assert.strictEqual(error._tag, "NoCacheWritten")
      assert.strictEqual(exitCodeOf(error), 1)
      assert.match(error.message, /no usable zone \(DE: Transport\)/)
    }))

  it.effect("keeps a zone missing from the catalogue in `unavailable`, counted as configured", () =>
    Effect.gen(function*() {
      const h = makeHarness({ api: { intensities: { DE: 300 } }, settings: { zones: ["DE", "US-TEX-ERCOT"] } })
      yield* h.run(pollOnceAndExit)
      const written = JSON.parse(h.memory.read("/cache/carbon_cache.json") ?? "{}") as {
        unavailable?: Record<string, { reason: string; message: string }>
      }
      assert.strictEqual(written.unavailable?.["US-TEX-ERCOT"]?.reason, "ZoneNotFound")
      assert.match(written.unavailable?.["US-TEX-ERCOT"]?.message ?? "", /did you mean US-TEX-ERCO/)
    }))

  it.effect("asks the catalogue again after an hour and polls a zone that appeared", () =>
    Effect.gen(function*() {
      const without = JSON.stringify({ DE: { zoneName: "Germany" } })
      const h = makeHarness({
        api: { intensities: { DE: 300, FR: 50 }, zonesBody: without },
        settings: { zones: ["DE", "FR"] }
      })
      const firstTwo = yield* h.run(Effect.gen(function*() {
        const zoneCheck = yield* ZoneCheck
        const poller = yield* Poller
        const plan = yield* zoneCheck.atStart
        yield* poller.pollOnce(plan.pollable, plan.excluded)
        const again = yield* zoneCheck.current
        h.api.setZonesBody(JSON.stringify({ DE: { zoneName: "Germany" }, FR: { zoneName: "France" } }))
        const stillCached = yield* zoneCheck.current
        yield* TestClock.adjust(Duration.hours(1))
        const later = yield* zoneCheck.current
        return [plan.pollable, again.pollable, stillCached.pollable, later.pollable] as const
      }))
      assert.deepStrictEqual(firstTwo, [["DE"], ["DE"], ["DE"], ["DE", "FR"]])
      assert.strictEqual(h.api.requestsForZones(), 2)
    }))

  it.effect("an empty catalogue never stops the service: every configured zone is polled", () =>
    Effect.gen(function*() {
      const h = makeHarness({ api: { intensities: { DE: 300 }, zonesBody: "{}" }, settings: { zones: ["DE"] } })
      yield* h.run(pollOnceAndExit)
      assert.strictEqual(h.api.requestsFor("DE"), 1)
      assert.isTrue(h.logLines.some((l) => l.includes("zone catalogue came back empty")))
    }))

  it.effect("exits 3 only when the catalogue lists zones and none of the configured ones", () =>
    Effect.gen(function*() {
      const h = makeHarness({ api: { intensities: { DE: 300 } }, settings: { zones: ["US-TEX-ERCOT"] } })
      const error = yield* Effect.flip(h.run(pollOnceAndExit))
      assert.strictEqual(error._tag, "NoValidZones")
      assert.strictEqual(exitCodeOf(error), 3)
    }))
})

describe("the zones command", () => {
  it.effect("finds Texas by name, case-insensitively", () =>
    Effect.gen(function*() {
      const h = makeHarness({})
      const lines = yield* h.run(listZones("texas"))
      assert.strictEqual(lines.length, 1)
      assert.match(lines[0]!, /^US-TEX-ERCO\s+Electric Reliability Council Of Texas, Inc., USA$/)
    }))

  it.effect("marks the zones the key may query when the API sends access lists", () =>
    Effect.gen(function*() {
      const zonesBody = JSON.stringify({
        DE: { zoneName: "Germany", access: ["carbon-intensity/latest"] },
        FR: { zoneName: "France", access: ["power-breakdown/latest"] }
      })
      const h = makeHarness({ api: { zonesBody } })
      assert.deepStrictEqual(yield* h.run(listZones(undefined)), [
        "✓ DE               Germany",
        "  FR               France"
      ])
    }))
})

describe("command line", () => {
  it("parses the commands", () => {
    assert.deepStrictEqual(parseCommand([]), { _tag: "Run", once: false })
    assert.deepStrictEqual(parseCommand(["--once"]), { _tag: "Run", once: true })
    assert.deepStrictEqual(parseCommand(["zones", "new", "york"]), { _tag: "Zones", search: "new york" })
    assert.deepStrictEqual(parseCommand(["--help"]), { _tag: "Help" })
    assert.strictEqual(parseCommand(["--onec"])._tag, "UsageError")
    assert.strictEqual(parseCommand(["poll"])._tag, "UsageError")
  })

  it("maps failures to the documented exit codes", () => {
    assert.strictEqual(exitCodeOf(new InvalidConfig({ issues: [] })), 2)
    assert.strictEqual(exitCodeOf(new UsageError({ detail: "x", usage: USAGE })), 2)
    assert.strictEqual(exitCodeOf(new NoValidZones({ details: [] })), 3)
    assert.strictEqual(exitCodeOf(new HttpPortUnavailable({ host: "h", port: 1, cause: "in use" })), 4)
    const summary = {
      fresh: [],
      failures: [],
      ranked: Option.none(),
      written: Option.none(),
      outputFailures: [],
      durationMillis: 0
    }
    assert.strictEqual(exitCodeOf(new NoCacheWritten({ summary })), 1)
    assert.strictEqual(exitCodeOf(new NoZoneMatches({ search: "atlantis" })), 1)
    assert.strictEqual(exitCodeOf(new SourceError({ zone: undefined, reason: "Transport", detail: "down" })), 1)
  })

  it("names the write failure, not \"no usable zone\", when every zone succeeded but the write failed", () => {
    const summary = {
      fresh: [],
      failures: [],
      ranked: Option.none(),
      written: Option.none(),
      outputFailures: [{
        output: "cache /cache/carbon_cache.json",
        message: "cannot write cache /cache/carbon_cache.json (create temporary file): EACCES"
      }],
      durationMillis: 0
    }
    const message = new NoCacheWritten({ summary }).message
    assert.include(message, "EACCES")
    assert.notInclude(message, "no usable zone")
  })

  it("mentions the demo in --help", () => {
    assert.include(USAGE, "npm run demo")
  })
})

describe("the zone check per provider", () => {
  const ukciCatalogue = [
    { zone: "ukci:national", name: "Great Britain", access: undefined },
    { zone: "ukci:13", name: "London", access: undefined },
    { zone: "ukci:14", name: "South East England", access: undefined }
  ]
  const emCatalogue = toCatalogue({ DE: { zoneName: "Germany" }, GB: { zoneName: "Great Britain" } })
  const catalogues = (provider: string) => provider === "ukci" ? ukciCatalogue : emCatalogue
  const chains = (zones: string) => Either.getOrThrow(parseZoneChains(zones))

  it("suggests within the link's own provider, by region name: ukci:london → ukci:13 (London)", () => {
    const result = checkChains(chains("DE,ukci:london"), catalogues)
    assert.deepStrictEqual(result.unknown, [{ zone: "ukci:london", suggestions: ["ukci:13 (London)"] }])
    assert.deepStrictEqual(result.pollable.map((chain) => chain.key), ["DE"])
    assert.deepStrictEqual(result.gone.map((entry) => entry.zone), ["ukci:london"])
  })

  it("checks each link against its provider's catalogue, writing suggestions as the link is written", () => {
    const result = checkChains(chains("em:DEU"), catalogues)
    assert.deepStrictEqual(result.unknown, [{ zone: "em:DEU", suggestions: ["em:DE"] }])
    assert.deepStrictEqual(checkChains(chains("em:DE"), catalogues).pollable.map((c) => c.key), ["em:DE"])
  })

  it("keeps a chain whose fallback is unknown, without that link; and one whose first link is unknown, on its fallback", () => {
    const result = checkChains(chains("GB|ukci:nationl,XX|ukci:13"), catalogues)
    assert.deepStrictEqual(
      result.pollable.map((chain) => [chain.key, chain.links.map((link) => link.key)]),
      [["GB", ["GB"]], ["XX", ["ukci:13"]]]
    )
    assert.deepStrictEqual(result.unknown.map((entry) => entry.zone), ["ukci:nationl", "XX"])
  })

  it("polls a link missing from a catalogue of the account's zones only, naming it with suggestions", () => {
    const wattTimeAccess = [{ zone: "watttime:CAISO_NORTH", name: "California ISO Northern", access: undefined }]
    const of = (provider: string) => provider === "watttime" ? wattTimeAccess : emCatalogue
    const accountOnly = (provider: string) => provider === "watttime"
    const result = checkChains(chains("DE,watttime:ISONE_WCMA,watttime:CAISO_NORHT"), of, accountOnly)
    assert.deepStrictEqual(result.pollable.map((chain) => chain.key), [
      "DE",
      "watttime:ISONE_WCMA",
      "watttime:CAISO_NORHT"
    ])
    assert.deepStrictEqual(result.unknown, [])
    assert.deepStrictEqual(result.notInAccount, [
      { zone: "watttime:ISONE_WCMA", suggestions: [] },
      { zone: "watttime:CAISO_NORHT", suggestions: ["watttime:CAISO_NORTH"] }
    ])
    // The same catalogue taken as every zone the provider has: both are unknown and left out.
    assert.deepStrictEqual(checkChains(chains("watttime:ISONE_WCMA"), of).gone.map((entry) => entry.zone), [
      "watttime:ISONE_WCMA"
    ])
  })

  it("takes a provider without a catalogue at its word", () => {
    const result = checkChains(
      chains("DE,watttime:CAISO_NORTH"),
      (provider) => provider === "watttime" ? undefined : emCatalogue
    )
    assert.deepStrictEqual(result.pollable.map((chain) => chain.key), ["DE", "watttime:CAISO_NORTH"])
  })
})
