/**
 * The registry's routing: a configured key goes to its provider as the provider's own id, and what
 * comes back (a reading, a forecast, a failure, a catalogue) is said about the key as configured.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { CarbonSource, SourceError } from "../../src/ports/CarbonSource.js"
import { makeRegistry } from "../../src/ports/SourceRegistry.js"
import { aReading } from "../support/samples.js"
import { staticShape } from "../support/StaticSource.js"

const ukci = CarbonSource.of({
  ...staticShape({ "13": 120 }, { provider: "ukci", named: true, requestTimeout: "30 seconds" }),
  forecast: (id) =>
    id === "13"
      ? Effect.succeed({ zone: id, points: [{ datetime: "2026-01-01T00:00:00Z", carbonIntensity: 100 }] })
      : Effect.fail(new SourceError({ zone: id, reason: "NoData", detail: `zone ${id}: NoData: no forecast` }))
})
const em = CarbonSource.of({
  ...staticShape({ DE: 300 }),
  latest: (id) => Effect.succeed(aReading(id === "DE" ? "FR" : id, 10))
})
const registry = makeRegistry([em, ukci])

describe("the source registry", () => {
  it.effect("asks each provider for its own id and says the answer about the key", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* registry.latest("ukci:13")).zone, "ukci:13")
      const forecast = yield* registry.forecast("ukci:13", 24)
      assert.strictEqual(forecast.zone, "ukci:13")
      assert.strictEqual(forecast.points.length, 1)
    }))

  it.effect("keeps an answer for another zone recognisable as another key (the rules then refuse it)", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* registry.latest("em:DE")).zone, "em:FR")
      assert.strictEqual((yield* registry.latest("DE")).zone, "FR")
    }))

  it.effect("says a provider's failure about the key, its text too", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(registry.forecast("ukci:14", 24))
      assert.strictEqual(error.zone, "ukci:14")
      assert.strictEqual(error.detail, "zone ukci:14: NoData: no forecast")
    }))

  it.effect("lists a catalogue as keys, and refuses a key whose provider it has no source for", () =>
    Effect.gen(function*() {
      const catalogue = yield* registry.catalogue("ukci")
      assert.deepStrictEqual(catalogue.map((zone) => zone.zone), ["ukci:13"])
      const error = yield* Effect.flip(registry.latest("watttime:CAISO_NORTH"))
      assert.strictEqual(error.zone, "watttime:CAISO_NORTH")
      assert.strictEqual(error.reason, "Unknown")
    }))

  it("allows for the slowest source's timeout", () => {
    assert.strictEqual(Duration.toSeconds(registry.requestTimeout), 30)
  })
})
