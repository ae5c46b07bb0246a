import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { FaultRule } from "../../src/simulator/Fault.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import { forecastUrl, get, getJson, latestUrl, provideClient, send } from "./support.js"

const statusOf = (url: string) => Effect.map(get(url), (response) => response.status)

describe("Simulator fault routes", () => {
  it.scoped("applies a rule without route to latest and forecast, not zones; route narrows it", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "server-error", status: 503 } }] })
      assert.strictEqual(yield* statusOf(latestUrl(sim.baseUrl, "DE")), 503)
      assert.strictEqual(yield* statusOf(forecastUrl(sim.baseUrlV3, "DE")), 503)
      assert.strictEqual(yield* statusOf(`${sim.baseUrl}/zones`), 200)

      yield* sim.setFaults([{ fault: { kind: "server-error", status: 502 }, route: "forecast", zone: "DE" }])
      assert.strictEqual(yield* statusOf(forecastUrl(sim.baseUrl, "DE")), 502)
      assert.strictEqual(yield* statusOf(forecastUrl(sim.baseUrl, "FR")), 200)
      assert.strictEqual(yield* statusOf(latestUrl(sim.baseUrl, "DE")), 200)

      yield* sim.setFaults([{ fault: { kind: "rate-limit-401" }, route: "zones" }])
      assert.strictEqual(yield* statusOf(`${sim.baseUrl}/zones`), 401)
      assert.strictEqual(yield* statusOf(forecastUrl(sim.baseUrl, "DE")), 200)

      // The older selector keeps its meaning.
      yield* sim.setFaults([{ fault: { kind: "server-error" }, endpoint: "latest" }])
      assert.strictEqual(yield* statusOf(latestUrl(sim.baseUrl, "DE")), 500)
      assert.strictEqual(yield* statusOf(forecastUrl(sim.baseUrl, "DE")), 200)
    }).pipe(provideClient))

  it.scoped("runs the existing fault kinds on the forecast route", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({
        faults: [{ fault: { kind: "no-recent-data" }, route: "forecast", when: { next: 1 } }]
      })
      assert.deepStrictEqual(yield* getJson(forecastUrl(sim.baseUrl, "FR")), {
        status: 404,
        body: { error: "No recent data for zone \"FR\"" }
      })
      yield* sim.addFault({ fault: { kind: "null-intensity" }, route: "forecast", when: { next: 1 } })
      const nulls = (yield* getJson(forecastUrl(sim.baseUrl, "FR", 3))).body as {
        forecast: Array<{ carbonIntensity: unknown }>
      }
      assert.deepStrictEqual(nulls.forecast.map((p) => p.carbonIntensity), [null, null, null])
      yield* sim.addFault({
        fault: { kind: "rate-limit-429", retryAfterSeconds: 3 },
        route: "forecast",
        when: { next: 1 }
      })
      const limited = yield* get(forecastUrl(sim.baseUrl, "FR"))
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.headers["retry-after"], "3")
      yield* sim.addFault({ fault: { kind: "html-502" }, route: "forecast", when: { next: 1 } })
      assert.strictEqual(yield* statusOf(forecastUrl(sim.baseUrl, "FR")), 502)
      assert.deepStrictEqual((yield* sim.stats()).faultHits, {
        "no-recent-data": 1,
        "null-intensity": 1,
        "rate-limit-429": 1,
        "html-502": 1
      })
    }).pipe(provideClient))

  it.scoped("skips a fault where it means nothing: a latest-only kind leaves forecasts alone", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({
        faults: [{ fault: { kind: "emission-factor", value: "direct" }, when: { next: 1 } }]
      })
      assert.strictEqual(yield* statusOf(forecastUrl(sim.baseUrl, "DE")), 200)
      // Not consumed by the forecast request: it still fires on the next latest one.
      const latest = (yield* getJson(latestUrl(sim.baseUrl, "DE"))).body as { emissionFactorType: string }
      assert.strictEqual(latest.emissionFactorType, "direct")
    }).pipe(provideClient))

  it.scoped("refuses rules that could never fire, from code and over HTTP", () =>
    Effect.gen(function*() {
      const decode = Schema.decodeUnknownEither(FaultRule)
      assert.isTrue(decode({ fault: { kind: "catalogue-empty" } })._tag === "Left")
      assert.isTrue(decode({ fault: { kind: "catalogue-empty" }, route: "zones" })._tag === "Right")
      assert.isTrue(decode({ fault: { kind: "echo-key" }, route: "forecast" })._tag === "Left")
      assert.isTrue(decode({ fault: { kind: "hang" }, route: "zones", zone: "DE" })._tag === "Left")
      assert.isTrue(decode({ fault: { kind: "hang" }, route: "latest", endpoint: "any" })._tag === "Left")
      assert.isTrue(decode({ fault: { kind: "hang" }, route: "history" })._tag === "Left")
      // Rules written for the older endpoint selector are all still armed, as before.
      for (const kind of ["null-intensity", "no-recent-data", "hang"] as const) {
        assert.isTrue(decode({ fault: { kind }, endpoint: "zones" })._tag === "Right", kind)
        assert.isTrue(decode({ fault: { kind }, endpoint: "any", zone: "DE" })._tag === "Right", kind)
      }
      assert.isTrue(decode({ fault: { kind: "hang" }, endpoint: "zones", zone: "DE" })._tag === "Right")

      const sim = yield* Simulator.start({})
      const refused = yield* send("POST", `${sim.origin}/__simulator/faults`, {
        fault: { kind: "catalogue-missing", zones: ["DE"] }
      })
      assert.strictEqual(refused.status, 400)
      assert.include((refused.body as { error: string }).error, "zones")
      const error = yield* Effect.flip(sim.addFault({ fault: { kind: "wrong-zone", zone: "FR" }, route: "zones" }))
      assert.strictEqual(error.reason, "InvalidFault")
    }).pipe(provideClient))
})
