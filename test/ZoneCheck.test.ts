import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FiberId } from "effect"
import { exitCodeOf, pollOnceAndExit } from "../src/App.js"
import { parseCommand } from "../src/Cli.js"
import type { ZoneCatalog } from "../src/Domain.js"
import { checkAgainstCatalog, coversLatest, listZones, suggestZones } from "../src/ZoneCheck.js"
import { respond, transport } from "./support/FakeApi.js"
import { fixtureJson } from "./support/fixtures.js"
import { makeHarness } from "./support/harness.js"

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

describe("checkAgainstCatalog", () => {
  const catalog: ZoneCatalog = {
    DE: { zoneName: "Germany", access: ["carbon-intensity/latest", "power-breakdown/latest"] },
    FR: { zoneName: "France", access: ["power-breakdown/latest"] },
    "US-NY-NYIS": { zoneName: "New York", access: ["*"] }
  }

  it("leaves unknown zones out with suggestions and reports zones outside the plan", () => {
    const result = checkAgainstCatalog(["DE", "FR", "US-NY-NYISO"], catalog)
    assert.deepStrictEqual(result.pollable, ["DE", "FR"])
    assert.deepStrictEqual(result.unknown, [{ zone: "US-NY-NYISO", suggestions: ["US-NY-NYIS"] }])
    assert.deepStrictEqual(result.outsidePlan, ["FR"])
  })

  it("checks no plan when the catalogue carries no access lists (no valid token)", () => {
    const result = checkAgainstCatalog(["DE", "FR"], { DE: {}, FR: {} })
    assert.deepStrictEqual(result.outsidePlan, [])
  })

  it("reads access lists as the API writes them", () => {
    assert.isTrue(coversLatest(["*"]))
    assert.isTrue(coversLatest(["carbon-intensity/latest"]))
    assert.isTrue(coversLatest(["/v3/carbon-intensity/latest"]))
    assert.isFalse(coversLatest(["power-breakdown/latest"]))
    assert.isFalse(coversLatest([]))
  })
})

describe("start-up zone check in the service", () => {
  it.effect("polls only the zones that exist and logs the misspelled one with its suggestion", () =>
    Effect.gen(function* () {
      const h = makeHarness({ api: { intensities: { DE: 300 } }, settings: { zones: ["DE", "US-TEX-ERCOT"] } })
      yield* h.run(pollOnceAndExit)
      assert.strictEqual(h.api.requestsFor("DE"), 1)
      assert.strictEqual(h.api.requestsFor("US-TEX-ERCOT"), 0)
      assert.isTrue(h.logLines.some((l) => l.includes("zone US-TEX-ERCOT does not exist; did you mean US-TEX-ERCO?")))
    })
  )

  it.effect("starts polling anyway when /zones cannot be had", () =>
    Effect.gen(function* () {
      const h = makeHarness({ api: { intensities: { DE: 300 }, zonesBody: "<html>502</html>" }, settings: { zones: ["DE"], maxRetries: 0 } })
      yield* h.run(pollOnceAndExit)
      assert.strictEqual(h.api.requestsFor("DE"), 1)
      assert.isTrue(h.logLines.some((l) => l.includes("zone check skipped, polling all configured zones")))
    })
  )

  it.effect("--once fails with exit code 1 when no cache could be written", () =>
    Effect.gen(function* () {
      const h = makeHarness({ api: { intensities: { DE: 300 }, scripts: { DE: [transport, respond(503, "")] } }, settings: { zones: ["DE"], maxRetries: 0 } })
      const exit = yield* Effect.exit(h.run(pollOnceAndExit))
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(exitCodeOf(exit), 1)
    })
  )
})

describe("the zones command", () => {
  it.effect("finds Texas by name, case-insensitively", () =>
    Effect.gen(function* () {
      const h = makeHarness({})
      const lines = yield* h.run(listZones("texas"))
      assert.strictEqual(lines.length, 1)
      assert.match(lines[0]!, /^US-TEX-ERCO\s+Electric Reliability Council Of Texas, Inc., USA$/)
    })
  )

  it.effect("marks the zones the key may query when the API sends access lists", () =>
    Effect.gen(function* () {
      const zonesBody = JSON.stringify({
        DE: { zoneName: "Germany", access: ["carbon-intensity/latest"] },
        FR: { zoneName: "France", access: ["power-breakdown/latest"] }
      })
      const h = makeHarness({ api: { zonesBody } })
      assert.deepStrictEqual(yield* h.run(listZones(undefined)), ["✓ DE               Germany", "  FR               France"])
    })
  )
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
    assert.strictEqual(exitCodeOf(Exit.void), 0)
    assert.strictEqual(exitCodeOf(Exit.interrupt(FiberId.none)), 0)
    assert.strictEqual(exitCodeOf(Exit.fail({ _tag: "InvalidConfig" })), 2)
    assert.strictEqual(exitCodeOf(Exit.fail({ _tag: "UsageError" })), 2)
    assert.strictEqual(exitCodeOf(Exit.fail({ _tag: "NoValidZones" })), 3)
    assert.strictEqual(exitCodeOf(Exit.fail({ _tag: "HttpPortUnavailable" })), 4)
    assert.strictEqual(exitCodeOf(Exit.fail({ _tag: "NoCacheWritten" })), 1)
  })
})
