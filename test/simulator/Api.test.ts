import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Option, Scope, TestClock } from "effect"
import * as Simulator from "../../src/simulator/Simulator.js"
import { decodeLatest, get, getJson, LATEST_KEYS, latestUrl, provideClient } from "./support.js"

const MARCH_6_2024_19_30 = Date.parse("2024-03-06T19:30:00.000Z")

describe("Simulator API", () => {
  it.scoped("answers latest in the recorded shape, stamped with the clock's hour", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(MARCH_6_2024_19_30)
      const sim = yield* Simulator.start({ seed: 1 })
      const { body, status } = yield* getJson(latestUrl(sim.baseUrl, "US-CAR-DUK"))
      assert.strictEqual(status, 200)
      const latest = yield* decodeLatest(body)
      assert.deepStrictEqual(Object.keys(latest), LATEST_KEYS)
      assert.strictEqual(latest.zone, "US-CAR-DUK")
      assert.strictEqual(latest.datetime, "2024-03-06T19:00:00.000Z")
      assert.strictEqual(latest.emissionFactorType, "lifecycle")
      assert.isNumber(latest.carbonIntensity)

      const direct = yield* getJson(latestUrl(sim.baseUrl, "US-CAR-DUK", "direct")).pipe(
        Effect.flatMap(({ body }) => decodeLatest(body))
      )
      assert.strictEqual(direct.emissionFactorType, "direct")
      assert.isTrue((direct.carbonIntensity ?? 0) < (latest.carbonIntensity ?? 0))

      const bad = yield* getJson(latestUrl(sim.baseUrl, "DE", "indirect"))
      assert.strictEqual(bad.status, 400)
    }).pipe(provideClient))

  it.scoped("gives the same numbers for the same seed and time, and moves over the day", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(MARCH_6_2024_19_30)
      const a = yield* Simulator.start({ seed: 42 })
      const b = yield* Simulator.start({ seed: 42 })
      const c = yield* Simulator.start({ seed: 43 })
      const zones = ["DE", "FR", "PL", "US-TEX-ERCO"]
      const read = (baseUrl: string) =>
        Effect.forEach(zones, (zone) => Effect.map(getJson(latestUrl(baseUrl, zone)), ({ body }) => body))
      const fromA = yield* read(a.baseUrl)
      assert.deepStrictEqual(yield* read(b.baseUrl), fromA)
      assert.notDeepEqual(yield* read(c.baseUrl), fromA)

      const intensities = new Set<unknown>()
      for (let hour = 0; hour < 24; hour++) {
        yield* TestClock.setTime(Date.parse("2024-03-07T00:10:00.000Z") + hour * 3_600_000)
        const { body } = yield* getJson(latestUrl(a.baseUrl, "DE"))
        intensities.add((yield* decodeLatest(body)).carbonIntensity)
      }
      assert.isTrue(intensities.size > 6, `only ${intensities.size} distinct values in a day`)
    }).pipe(provideClient))

  it.scoped("checks the auth-token header with the recorded bodies", () =>
    Effect.gen(function*() {
      const open = yield* Simulator.start({})
      assert.strictEqual((yield* getJson(latestUrl(open.baseUrl, "DE"), "anything")).status, 200)
      const missing = yield* getJson(latestUrl(open.baseUrl, "DE"), null)
      assert.deepStrictEqual(missing, {
        status: 401,
        body: {
          error: "Invalid auth-token",
          message:
            "Please provide a valid authentication header. See https://portal.electricitymaps.com/docs/getting-started#authorization for details"
        }
      })
      assert.strictEqual((yield* getJson(latestUrl(open.baseUrl, "DE"), "")).status, 401)

      const locked = yield* Simulator.start({ apiKey: "secret" })
      assert.strictEqual((yield* getJson(latestUrl(locked.baseUrl, "DE"), "secret")).status, 200)
      assert.deepStrictEqual(yield* getJson(latestUrl(locked.baseUrl, "DE"), "guess"), {
        status: 401,
        body: {
          error: "Invalid auth-token",
          message:
            "The provided token is invalid. If this token used to work, please visit https://help.electricitymaps.com to get support"
        }
      })
      assert.strictEqual((yield* locked.stats()).unauthorized, 1)
      assert.strictEqual((yield* open.stats()).unauthorized, 2)
    }).pipe(provideClient))

  it.scoped("answers 404 for an unknown zone and 401 for a zone outside the plan", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ plan: ["DE", "FR"] })
      assert.deepStrictEqual(yield* getJson(latestUrl(sim.baseUrl, "US-NY-NYISO")), {
        status: 404,
        body: { error: "Zone 'US-NY-NYISO' does not exist" }
      })
      // Zone keys are case-sensitive, as in the real API.
      assert.strictEqual((yield* getJson(latestUrl(sim.baseUrl, "de"))).status, 404)
      assert.deepStrictEqual(yield* getJson(latestUrl(sim.baseUrl, "IT")), {
        status: 401,
        body: { error: "Request unauthorized for zoneKey=IT,requestType=latest,dataType=carbon-intensity." }
      })
      assert.strictEqual((yield* getJson(latestUrl(sim.baseUrl, "FR"))).status, 200)
      assert.strictEqual((yield* getJson(`${sim.origin}/v3/power-breakdown/latest?zone=DE`)).status, 404)
    }).pipe(provideClient))

  it.scoped("lists zones, with access for the plan's zones when a valid token is sent", () =>
    Effect.gen(function*() {
      type Zones = Record<string, { zoneName: string; access?: ReadonlyArray<string> }>
      const planned = yield* Simulator.start({ plan: ["DE"], apiKey: "k" })
      const withToken = (yield* getJson(`${planned.baseUrl}/zones`, "k")).body as Zones
      assert.strictEqual(Object.keys(withToken).length, 400)
      assert.deepStrictEqual(withToken["DE"], {
        zoneName: "Germany",
        access: ["carbon-intensity/latest", "carbon-intensity/history", "carbon-intensity/forecast"]
      })
      assert.deepStrictEqual(withToken["US-NY-NYIS"]?.access, undefined)

      const anonymous = (yield* getJson(`${planned.baseUrl}/zones`, null)).body as Zones
      assert.deepStrictEqual(anonymous["DE"], { zoneName: "Germany" })
      assert.strictEqual((yield* getJson(`${planned.baseUrl}/zones`, "wrong")).status, 401)

      const unrestricted = yield* Simulator.start({})
      const all = (yield* getJson(`${unrestricted.baseUrl}/zones`)).body as Zones
      assert.deepStrictEqual(all["US-TEX-ERCO"]?.access, ["*"])
    }).pipe(provideClient))

  it.scoped("rejects bad options with a typed error", () =>
    Effect.gen(function*() {
      const unknownPlan = yield* Effect.flip(Simulator.start({ plan: ["DE", "US-NY-NYISO"] }))
      assert.strictEqual(unknownPlan.reason, "InvalidOptions")
      assert.include(unknownPlan.message, "US-NY-NYISO")
      const badPort = yield* Effect.flip(Simulator.start({ port: 70_000 }))
      assert.strictEqual(badPort.reason, "InvalidOptions")
      const taken = yield* Simulator.start({})
      const clash = yield* Effect.flip(Simulator.start({ port: taken.port }))
      assert.strictEqual(clash.reason, "ListenFailed")
    }))

  it.scoped("closes with its scope: the port stops answering", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const sim = yield* Scope.extend(Simulator.start({}), scope)
      assert.strictEqual((yield* getJson(latestUrl(sim.baseUrl, "DE"))).status, 200)
      yield* Scope.close(scope, Exit.void)
      const after = yield* Effect.option(get(latestUrl(sim.baseUrl, "DE")))
      assert.isTrue(Option.isNone(after))
    }).pipe(provideClient))

  it.live("starts and stops from plain Promise code", () =>
    Effect.gen(function*() {
      const sim = yield* Effect.promise(() => Simulator.startSimulator({ seed: 5 }))
      assert.match(sim.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v4$/)
      assert.strictEqual(sim.baseUrlV3, sim.baseUrl.replace(/v4$/, "v3"))
      const response = yield* Effect.promise(() =>
        fetch(`${sim.baseUrl}/carbon-intensity/latest?zone=FR`, { headers: { "auth-token": "k" } })
      )
      assert.strictEqual(response.status, 200)
      yield* Effect.promise(() => response.arrayBuffer())
      assert.strictEqual((yield* Effect.promise(() => sim.stats())).total, 1)
      const error = yield* Effect.promise(() =>
        sim.addFault({ fault: { kind: "server-error", status: 404 } }).then(() => undefined, (e: unknown) => e)
      )
      assert.instanceOf(error, Simulator.SimulatorError)
      yield* Effect.promise(() => sim.close())
      yield* Effect.promise(() => sim.close())
      const failed = yield* Effect.promise(() =>
        Simulator.startSimulator({ plan: ["Nowhere"] }).then(() => undefined, (e: unknown) => e)
      )
      assert.instanceOf(failed, Simulator.SimulatorError)
    }))
})
