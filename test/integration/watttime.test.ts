/**
 * The WattTime source over real loopback HTTP (the service's own Node client) against the
 * project's simulator, on live time: login, latest, forecast, region list, and the failures a
 * poll meets (a token that runs out mid-poll, a region outside the plan, bad credentials, an outage).
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import { WattTimeConfig } from "../../src/config/WattTimeConfig.js"
import { parseRfc3339Instant } from "../../src/domain/Time.js"
import * as NodePlatform from "../../src/platform/NodePlatform.js"
import { checkReading } from "../../src/poll/ReadingRules.js"
import { CarbonSource } from "../../src/ports/CarbonSource.js"
import { toGramsPerKwh } from "../../src/providers/watttime/Answers.js"
import * as WattTime from "../../src/providers/watttime/WattTimeSource.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import { moerLbs, tokenFor } from "../../src/simulator/watttime/Signal.js"
import { layer as testConfigLayer, type Settings, testSettings } from "../support/settings.js"

const SEED = "wt-it"

const withSource = <A, E>(
  password: string,
  use: (source: typeof CarbonSource.Service, sim: Simulator.SimulatorHandle) => Effect.Effect<A, E>,
  overrides: Partial<Settings> = {}
) =>
  Effect.gen(function*() {
    const sim = yield* Simulator.start({ seed: SEED })
    const config = Layer.succeed(WattTimeConfig, {
      ...testSettings({ requestTimeout: Duration.seconds(5), retryBaseDelay: Duration.millis(10), ...overrides }),
      apiUrl: sim.wattTimeUrl,
      credentials: Option.some({ username: Redacted.make("sim-user"), password: Redacted.make(password) })
    })
    const layer = WattTime.layer.pipe(
      Layer.provide(Layer.mergeAll(
        NodePlatform.layer,
        testConfigLayer(),
        // Last, so it wins over the test settings' WattTimeConfig (no login).
        config
      ))
    )
    return yield* Effect.flatMap(CarbonSource, (source) => use(source, sim)).pipe(Effect.provide(layer))
  }).pipe(Effect.scoped)

describe("the WattTime source against the simulator", () => {
  it.live("logs in once, reads the current value, a forecast and the region list: one call each", () =>
    withSource("sim-password", (source, sim) =>
      Effect.gen(function*() {
        const reading = yield* source.latest("CAISO_NORTH")
        const at = parseRfc3339Instant(reading.datetime) ?? Number.NaN
        assert.strictEqual(reading.carbonIntensity, toGramsPerKwh(moerLbs(SEED, "CAISO_NORTH", at)))
        assert.match(reading.datetime, /^\d{4}-\d\d-\d\dT\d\d:\d[05]:00Z$/)
        assert.strictEqual(reading.emissionFactorType, "direct")
        assert.isTrue(reading.isEstimated)
        const forecast = yield* source.forecast("PSCO", 2)
        assert.strictEqual(forecast.points.length, 24)
        assert.strictEqual(forecast.temporalGranularity, "5_minutes")
        const catalogue = yield* source.catalogue
        assert.deepStrictEqual(catalogue.map((zone) => zone.zone), ["CAISO_NORTH", "PSCO", "PJM_NJ"])
        const stats = yield* sim.stats()
        assert.deepStrictEqual(
          [
            stats.byEndpoint["watttime-login"],
            stats.byEndpoint["watttime-forecast"],
            stats.byEndpoint["watttime-my-access"]
          ],
          [1, 2, 1]
        )
        assert.deepStrictEqual(stats.wattTimeByRegion, { CAISO_NORTH: 1, PSCO: 1 })
      })))

  it.live("a token that runs out mid-poll costs one more login, and the call succeeds", () =>
    withSource("sim-password", (source, sim) =>
      Effect.gen(function*() {
        yield* source.latest("CAISO_NORTH")
        yield* sim.addFault({ fault: { kind: "token-expired" }, route: "watttime-forecast", when: { next: 1 } })
        const reading = yield* source.latest("PJM_NJ")
        assert.strictEqual(reading.zone, "PJM_NJ")
        const stats = yield* sim.stats()
        assert.strictEqual(stats.byEndpoint["watttime-login"], 2)
        assert.strictEqual(stats.byEndpoint["watttime-forecast"], 3)
      })))

  it.live("reports a region outside the plan once, then without asking again", () =>
    withSource("sim-password", (source, sim) =>
      Effect.gen(function*() {
        const first = yield* Effect.flip(source.forecast("ISONE_WCMA", 24))
        const second = yield* Effect.flip(source.latest("ISONE_WCMA"))
        assert.match(first.message, /Forbidden \(HTTP 403\): Invalid query parameters: Invalid scope/)
        assert.notMatch(second.message, /Invalid scope/)
        assert.match(second.message, /outside the WattTime account's plan/)
        assert.deepStrictEqual((yield* sim.stats()).wattTimeByRegion, { ISONE_WCMA: 1 })
      })))

  it.live("says bad credentials name WATTTIME_USERNAME, without the password, after one login", () =>
    withSource("not-the-password-3f2e1d", (source, sim) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(source.latest("CAISO_NORTH"))
        assert.strictEqual(error.reason, "Unauthorized")
        assert.match(error.message, /check WATTTIME_USERNAME and WATTTIME_PASSWORD/)
        assert.notInclude(error.message, "not-the-password-3f2e1d")
        assert.strictEqual((yield* sim.stats()).byEndpoint["watttime-login"], 1)
      })))

  it.live("rides out an outage with a retry", () =>
    withSource("sim-password", (source, sim) =>
      Effect.gen(function*() {
        yield* sim.addFault({
          fault: { kind: "server-error", status: 503 },
          route: "watttime-forecast",
          when: { next: 1 }
        })
        const reading = yield* source.latest("CAISO_NORTH")
        assert.strictEqual(reading.zone, "CAISO_NORTH")
        assert.strictEqual((yield* sim.stats()).byStatus["503"], 1)
      })))

  it.live("waits as a 429's Retry-After asks, then has its answer", () =>
    withSource("sim-password", (source, sim) =>
      Effect.gen(function*() {
        yield* sim.addFault({
          fault: { kind: "rate-limit-429", retryAfterSeconds: 1 },
          route: "watttime-forecast",
          when: { next: 1 }
        })
        // How long it waits is the unit tests' (on TestClock); here, that the wire format is read.
        const reading = yield* source.latest("CAISO_NORTH")
        assert.strictEqual(reading.zone, "CAISO_NORTH")
        assert.strictEqual((yield* sim.stats()).byStatus["429"], 1)
      })))

  it.live("an answer that never comes is a Timeout, each attempt", () =>
    withSource(
      "sim-password",
      (source, sim) =>
        Effect.gen(function*() {
          yield* sim.addFault({ fault: { kind: "hang" }, route: "watttime-forecast" })
          const error = yield* Effect.flip(source.latest("CAISO_NORTH"))
          assert.strictEqual(error.reason, "Timeout")
          assert.strictEqual((yield* sim.stats()).wattTimeByRegion["CAISO_NORTH"], 2)
        }),
      { requestTimeout: Duration.millis(300), maxRetries: 1 }
    ))

  it.live("an empty 200 and an undecodable body are BadResponse, not retried; a missing current value is NoData", () =>
    withSource("sim-password", (source, sim) =>
      Effect.gen(function*() {
        yield* sim.addFault({ fault: { kind: "empty-200" }, route: "watttime-forecast", zone: "CAISO_NORTH" })
        yield* sim.addFault({ fault: { kind: "invalid-json" }, route: "watttime-forecast", zone: "PSCO" })
        yield* sim.addFault({ fault: { kind: "null-intensity" }, route: "watttime-forecast", zone: "PJM_NJ" })
        const empty = yield* Effect.flip(source.latest("CAISO_NORTH"))
        const undecodable = yield* Effect.flip(source.latest("PSCO"))
        const missing = yield* Effect.flip(source.latest("PJM_NJ"))
        assert.deepStrictEqual([empty.reason, undecodable.reason, missing.reason], [
          "BadResponse",
          "BadResponse",
          "NoData"
        ])
        assert.match(missing.message, /no value for/)
        assert.deepStrictEqual((yield* sim.stats()).wattTimeByRegion, { CAISO_NORTH: 1, PSCO: 1, PJM_NJ: 1 })
      })))

  it.live("a stale period keeps its own time, so the core refuses it as stale", () =>
    withSource("sim-password", (source, sim) =>
      Effect.gen(function*() {
        yield* sim.addFault({ fault: { kind: "datetime", offsetMinutes: -240 }, route: "watttime-forecast" })
        const reading = yield* source.latest("CAISO_NORTH")
        const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
        const age = now - (parseRfc3339Instant(reading.datetime) ?? now)
        assert.isAtLeast(age, 240 * 60_000)
        const expected = { zone: "CAISO_NORTH", emissionFactorType: "direct", maxReadingAgeMinutes: 180 }
        assert.strictEqual(checkReading(reading, expected, now)?.reason, "StaleReading")
      })))

  it.live("the bearer token echoed back at any offset and escape never reaches a message, whole or in part", () =>
    withSource("sim-password", (source, sim) =>
      Effect.gen(function*() {
        yield* source.latest("CAISO_NORTH")
        const escapes = ["none", "unicode", "slash", "mixed"] as const
        for (const escape of escapes) {
          // The summary is cut at 300 characters: "Invalid auth-token: " (20), the filler, "Bearer "
          // (7), then the token, so offsets 270 and 271 leave 3 and 2 of its characters before the cut.
          for (const offset of [0, 270, 271]) {
            yield* sim.addFault({
              fault: { kind: "echo-key-error", status: 500, offset, escape },
              route: "watttime-forecast",
              when: { next: 1 }
            })
            const error = yield* Effect.flip(source.forecast("PSCO", 1)).pipe(
              Effect.orElseSucceed(() => undefined)
            )
            const text = JSON.stringify(error ?? {}) + String(error?.message)
            // The first login's token; a part of it as short as the redactor's fragment is caught.
            const token = tokenFor(SEED, 1)
            for (let i = 0; i + 6 <= token.length; i++) assert.notInclude(text, token.slice(i, i + 6))
            for (let k = 1; k < 6; k++) assert.notInclude(text, `${token.slice(0, k)}…`)
            // Near the cut the echo may fall wholly beyond it; at the start it must be replaced.
            if (offset === 0) assert.include(text, "<redacted>")
          }
        }
      }), { maxRetries: 0 }))
})
