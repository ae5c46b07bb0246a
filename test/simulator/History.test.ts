import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema, TestClock } from "effect"
import * as Simulator from "../../src/simulator/Simulator.js"
import { decodeLatest, getJson, latestUrl, provideClient } from "./support.js"

const MARCH_6_2024_19_30 = Date.parse("2024-03-06T19:30:00.000Z")

const HistoryShape = Schema.Struct({ zone: Schema.String, history: Schema.Array(Schema.Unknown) })

describe("Simulator history", () => {
  it.scoped("answers the last 24 hours, oldest first, each point what latest answered in its hour", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(MARCH_6_2024_19_30)
      const sim = yield* Simulator.start({ seed: 3 })
      const { body, status } = yield* getJson(`${sim.baseUrl}/carbon-intensity/history?zone=DE`)
      assert.strictEqual(status, 200)
      const history = yield* Schema.decodeUnknown(HistoryShape)(body)
      assert.strictEqual(history.zone, "DE")
      const points = yield* Effect.forEach(history.history, (point) => decodeLatest(point))
      assert.strictEqual(points.length, 24)
      assert.strictEqual(points[0]?.datetime, "2024-03-05T20:00:00.000Z")
      assert.strictEqual(points[23]?.datetime, "2024-03-06T19:00:00.000Z")
      assert.deepStrictEqual(points[23], yield* decodeLatest((yield* getJson(latestUrl(sim.baseUrl, "DE"))).body))
      yield* TestClock.setTime(Date.parse("2024-03-06T08:10:00.000Z"))
      const earlier = yield* decodeLatest((yield* getJson(latestUrl(sim.baseUrl, "DE"))).body)
      assert.deepStrictEqual(points[12], earlier)
      const stats = yield* sim.stats()
      assert.strictEqual(stats.byEndpoint["history"], 1)
    }).pipe(provideClient))

  it.scoped("checks the token, the zone and the emission factor like latest", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ apiKey: "key" })
      assert.strictEqual((yield* getJson(`${sim.baseUrl}/carbon-intensity/history?zone=DE`, null)).status, 401)
      assert.strictEqual((yield* getJson(`${sim.baseUrl}/carbon-intensity/history?zone=NOT-A-ZONE`)).status, 404)
      assert.strictEqual((yield* getJson(`${sim.baseUrl}/carbon-intensity/history`)).status, 400)
      const direct = yield* getJson(`${sim.baseUrl}/carbon-intensity/history?zone=DE&emissionFactorType=direct`)
      const points = (yield* Schema.decodeUnknown(HistoryShape)(direct.body)).history
      assert.strictEqual((yield* decodeLatest(points[0])).emissionFactorType, "direct")
    }).pipe(provideClient))
})
