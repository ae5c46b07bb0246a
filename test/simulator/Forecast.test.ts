import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema, TestClock } from "effect"
import * as Simulator from "../../src/simulator/Simulator.js"
import { decodeLatest, forecastUrl, getJson, latestUrl, provideClient } from "./support.js"

const HOUR = 3_600_000
const MARCH_6_2024_19_40 = Date.parse("2024-03-06T19:40:00.000Z")

const Point = Schema.Struct({ carbonIntensity: Schema.Number, datetime: Schema.String })
const V3Forecast = Schema.Struct({ zone: Schema.String, forecast: Schema.Array(Point), updatedAt: Schema.String })
const V4Forecast = Schema.Struct({
  ...V3Forecast.fields,
  temporalGranularity: Schema.Literal("hourly", "15_minutes")
})
// Extra fields are an error, so v3 answers are known to carry no `temporalGranularity`.
const decodeV3 = Schema.decodeUnknown(V3Forecast, { onExcessProperty: "error" })
const decodeV4 = Schema.decodeUnknown(V4Forecast, { onExcessProperty: "error" })

const times = (points: ReadonlyArray<{ readonly datetime: string }>) => points.map((p) => Date.parse(p.datetime))

describe("Simulator forecasts", () => {
  it.scoped("answers hourly points from the current hour over the horizon, in the recorded shape", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(MARCH_6_2024_19_40)
      const sim = yield* Simulator.start({ seed: 4 })
      const v4 = yield* getJson(forecastUrl(sim.baseUrl, "DE", 6))
      assert.strictEqual(v4.status, 200)
      const body = yield* decodeV4(v4.body)
      assert.deepStrictEqual(Object.keys(v4.body as object), ["zone", "forecast", "updatedAt", "temporalGranularity"])
      assert.strictEqual(body.zone, "DE")
      assert.strictEqual(body.temporalGranularity, "hourly")
      assert.deepStrictEqual(
        times(body.forecast),
        [19, 20, 21, 22, 23, 24].map((h) => Date.parse("2024-03-06T00:00:00.000Z") + h * HOUR)
      )
      assert.strictEqual(body.forecast[0]?.datetime, "2024-03-06T19:00:00.000Z")
      const updatedAt = Date.parse(body.updatedAt)
      assert.isTrue(
        updatedAt < Date.parse("2024-03-06T19:00:00.000Z") && updatedAt > Date.parse("2024-03-06T18:40:00.000Z")
      )

      // The same curve as latest: the first point is the current hour's reading.
      const latest = yield* decodeLatest((yield* getJson(latestUrl(sim.baseUrl, "DE"))).body)
      assert.strictEqual(body.forecast[0]?.carbonIntensity, latest.carbonIntensity)

      const v3 = yield* decodeV3((yield* getJson(forecastUrl(sim.baseUrlV3, "DE", 6))).body)
      assert.deepStrictEqual(v3.forecast, body.forecast)

      assert.strictEqual((yield* decodeV4((yield* getJson(forecastUrl(sim.baseUrl, "DE"))).body)).forecast.length, 24)
      assert.strictEqual(
        (yield* decodeV4((yield* getJson(forecastUrl(sim.baseUrl, "DE", 72))).body)).forecast.length,
        72
      )
    }).pipe(provideClient))

  it.scoped("follows the clock: a later hour starts later, with the same values where they overlap", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(MARCH_6_2024_19_40)
      const sim = yield* Simulator.start({ seed: 4 })
      const before = yield* decodeV4((yield* getJson(forecastUrl(sim.baseUrl, "PL", 4))).body)
      yield* TestClock.adjust("2 hours")
      const after = yield* decodeV4((yield* getJson(forecastUrl(sim.baseUrl, "PL", 4))).body)
      assert.strictEqual(after.forecast[0]?.datetime, "2024-03-06T21:00:00.000Z")
      assert.deepStrictEqual(after.forecast.slice(0, 2), before.forecast.slice(2))
    }).pipe(provideClient))

  it.scoped("spaces points every 15 minutes when asked, from the current quarter-hour", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(MARCH_6_2024_19_40)
      const sim = yield* Simulator.start({ seed: 4, forecastGranularity: "15_minutes" })
      const body = yield* decodeV4((yield* getJson(forecastUrl(sim.baseUrl, "DE", 2))).body)
      assert.strictEqual(body.temporalGranularity, "15_minutes")
      assert.strictEqual(body.forecast.length, 8)
      assert.strictEqual(body.forecast[0]?.datetime, "2024-03-06T19:30:00.000Z")
      const steps = times(body.forecast).slice(1).map((t, i) => t - (times(body.forecast)[i] ?? 0))
      assert.deepStrictEqual(new Set(steps), new Set([15 * 60_000]))
      const updatedAt = Date.parse(body.updatedAt)
      assert.isTrue(
        updatedAt < Date.parse("2024-03-06T19:30:00.000Z") && updatedAt >= Date.parse("2024-03-06T19:26:00.000Z")
      )
      // The quarter-hours stay on the daily curve: close to the hourly reading.
      const latest = yield* decodeLatest((yield* getJson(latestUrl(sim.baseUrl, "DE"))).body)
      const first = body.forecast[0]?.carbonIntensity ?? 0
      assert.isTrue(
        Math.abs(first - (latest.carbonIntensity ?? 0)) < 0.1 * first,
        `${first} vs ${latest.carbonIntensity}`
      )
    }).pipe(provideClient))

  it.scoped("refuses a bad horizonHours with 400 and runs latest's checks", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ plan: ["DE"], apiKey: "k" })
      for (const bad of ["0", "73", "abc", "1.5", "-1", ""]) {
        const answer = yield* getJson(forecastUrl(sim.baseUrl, "DE", bad), "k")
        assert.strictEqual(answer.status, 400, `horizonHours=${bad}`)
        assert.isString((answer.body as { error: unknown }).error)
      }
      assert.strictEqual((yield* getJson(forecastUrl(sim.baseUrl, "DE", 1), "k")).status, 200)
      assert.strictEqual((yield* getJson(forecastUrl(sim.baseUrl, "DE"), null)).status, 401)
      assert.strictEqual((yield* getJson(forecastUrl(sim.baseUrl, "DE"), "wrong")).status, 401)
      assert.strictEqual((yield* getJson(`${sim.baseUrl}/carbon-intensity/forecast`, "k")).status, 400)
      assert.deepStrictEqual(yield* getJson(forecastUrl(sim.baseUrl, "US-NY-NYISO"), "k"), {
        status: 404,
        body: { error: "Zone 'US-NY-NYISO' does not exist" }
      })
      assert.deepStrictEqual(yield* getJson(forecastUrl(sim.baseUrl, "IT"), "k"), {
        status: 401,
        body: { error: "Request unauthorized for zoneKey=IT,requestType=forecast,dataType=carbon-intensity." }
      })
    }).pipe(provideClient))

  it.scoped("answers 401 when the plan has no forecasts, and says so in the zones' access", () =>
    Effect.gen(function*() {
      type Zones = Record<string, { zoneName: string; access?: ReadonlyArray<string> }>
      const without = yield* Simulator.start({ plan: ["DE"], forecastAccess: false })
      assert.deepStrictEqual(yield* getJson(forecastUrl(without.baseUrl, "DE")), {
        status: 401,
        body: { error: "Request unauthorized for zoneKey=DE,requestType=forecast,dataType=carbon-intensity." }
      })
      assert.strictEqual((yield* getJson(latestUrl(without.baseUrl, "DE"))).status, 200)
      const zones = (yield* getJson(`${without.baseUrl}/zones`)).body as Zones
      assert.deepStrictEqual(zones["DE"]?.access, ["carbon-intensity/latest", "carbon-intensity/history"])

      // An unrestricted key without forecasts cannot claim "*": it spells out what it covers.
      const open = yield* Simulator.start({ forecastAccess: false })
      const openZones = (yield* getJson(`${open.baseUrl}/zones`)).body as Zones
      assert.deepStrictEqual(openZones["FR"]?.access, ["carbon-intensity/latest", "carbon-intensity/history"])
      assert.strictEqual((yield* getJson(forecastUrl(open.baseUrl, "FR"))).status, 401)

      const prefixed = yield* Simulator.start({ plan: ["DE"], accessPrefix: "v4/" })
      const prefixedZones = (yield* getJson(`${prefixed.baseUrl}/zones`)).body as Zones
      assert.deepStrictEqual(prefixedZones["DE"]?.access, [
        "v4/carbon-intensity/latest",
        "v4/carbon-intensity/history",
        "v4/carbon-intensity/forecast"
      ])
    }).pipe(provideClient))
})
