import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as Simulator from "../../src/simulator/Simulator.js"
import { decodeLatest, forecastUrl, getJson, getText, latestUrl, provideClient } from "./support.js"

describe("Simulator API versions", () => {
  it.scoped("serves the same bodies under /v4 (the handle's baseUrl) and the legacy /v3", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2024-03-06T19:30:00.000Z"))
      const sim = yield* Simulator.start({ seed: 3, plan: ["DE"] })
      assert.strictEqual(sim.baseUrl, `${sim.origin}/v4`)
      assert.strictEqual(sim.baseUrlV3, `${sim.origin}/v3`)

      const v4 = yield* getText(latestUrl(sim.baseUrl, "DE"))
      const v3 = yield* getText(latestUrl(sim.baseUrlV3, "DE"))
      assert.strictEqual(v4.status, 200)
      assert.deepStrictEqual(v3, v4)
      assert.strictEqual((yield* decodeLatest(JSON.parse(v4.text))).temporalGranularity, "hourly")

      assert.deepStrictEqual(yield* getText(`${sim.baseUrlV3}/zones`), yield* getText(`${sim.baseUrl}/zones`))
      // The checks are the same under either prefix.
      assert.strictEqual((yield* getJson(latestUrl(sim.baseUrlV3, "IT"))).status, 401)
      assert.strictEqual((yield* getJson(latestUrl(sim.baseUrl, "IT"))).status, 401)
    }).pipe(provideClient))

  it.scoped("counts requests per version and per route, in the handle and over HTTP", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({})
      yield* getJson(latestUrl(sim.baseUrl, "DE"))
      yield* getJson(latestUrl(sim.baseUrl, "FR"))
      yield* getJson(forecastUrl(sim.baseUrl, "DE"))
      yield* getJson(forecastUrl(sim.baseUrlV3, "PL"))
      yield* getJson(`${sim.baseUrlV3}/zones`)
      yield* getJson(`${sim.origin}/v5/zones`)

      const stats = yield* sim.stats()
      assert.deepStrictEqual(stats.byVersion, { v3: 2, v4: 3 })
      assert.deepStrictEqual(stats.byEndpoint, { latest: 2, forecast: 2, zones: 1, other: 1 })
      assert.deepStrictEqual(stats.byZone, { DE: 1, FR: 1 })
      assert.deepStrictEqual(stats.forecastByZone, { DE: 1, PL: 1 })
      assert.deepStrictEqual((yield* getJson(`${sim.origin}/__simulator/stats`)).body, stats)

      yield* sim.resetStats()
      assert.deepStrictEqual((yield* sim.stats()).byVersion, { v3: 0, v4: 0 })
    }).pipe(provideClient))
})
