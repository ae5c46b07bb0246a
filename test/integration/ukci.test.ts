/**
 * The UK Carbon Intensity source with its real parts: Node's HTTP client on loopback against the
 * simulator's UK routes.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Either, Layer } from "effect"
import { UkciConfig, type UkciSettings } from "../../src/config/UkciConfig.js"
import { checkForecast } from "../../src/forecast/Forecasts.js"
import * as NodePlatform from "../../src/platform/NodePlatform.js"
import { checkReading } from "../../src/poll/ReadingRules.js"
import * as UkciSource from "../../src/providers/ukci/UkciSource.js"
import * as Simulator from "../../src/simulator/Simulator.js"

const HALF_HOUR = 30 * 60_000

const halfHourOf = (millis: number) =>
  new Date(Math.floor(millis / HALF_HOUR) * HALF_HOUR).toISOString().replace(".000Z", "Z")

/** The half-hours `effect` ran in (two when it crossed a boundary), with its result. */
const during = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const before = yield* Clock.currentTimeMillis
    const result = yield* effect
    const after = yield* Clock.currentTimeMillis
    return { result, halfHours: [halfHourOf(before), halfHourOf(after)], now: after }
  })

/** A simulator and the source pointed at its UK routes through Node's HTTP client. */
const realSource = (settings: Partial<UkciSettings> = {}) =>
  Effect.gen(function*() {
    const simulator = yield* Simulator.start({ port: 0, seed: 11 }).pipe(Effect.orDie)
    const source = yield* UkciSource.make.pipe(
      Effect.provide(Layer.mergeAll(
        NodePlatform.layer,
        Layer.succeed(UkciConfig, {
          apiUrl: simulator.ukciBaseUrl,
          requestTimeout: Duration.seconds(2),
          maxRetries: 2,
          retryBaseDelay: Duration.millis(10),
          retryMaxDelay: Duration.seconds(1),
          maxResponseBytes: 1024 * 1024,
          ...settings
        })
      ))
    )
    return { simulator, source }
  })

const RULES = { emissionFactorType: "direct", maxReadingAgeMinutes: 180 }

describe("the UK Carbon Intensity source against the simulator over real HTTP", () => {
  it.scopedLive("reads Great Britain and a region, and makes exactly the calls planned", () =>
    Effect.gen(function*() {
      const { simulator, source } = yield* realSource()

      const national = yield* during(source.latest("national"))
      assert.strictEqual(national.result.zone, "national")
      assert.include(national.halfHours, national.result.datetime)
      assert.isFalse(national.result.isEstimated)
      assert.isUndefined(checkReading(national.result, { zone: "national", ...RULES }, national.now))

      // A regional route answers 400 to a text/html Content-Type: this one was answered.
      const london = yield* during(source.latest("13"))
      assert.strictEqual(london.result.zone, "13")
      assert.include(london.halfHours, london.result.datetime)
      assert.isTrue(london.result.isEstimated)
      assert.isUndefined(checkReading(london.result, { zone: "13", ...RULES }, london.now))

      const forecast = yield* during(source.forecast("13", 24))
      const series = checkForecast("13", forecast.result)
      assert.isTrue(Either.isRight(series))
      assert.strictEqual(Either.getOrThrow(series).stepMillis, HALF_HOUR)
      assert.include(forecast.halfHours, forecast.result.points[0]?.datetime)
      // From the current half-hour to 24 hours ahead: 48 starts, 49 unless now is on a boundary.
      assert.include([48, 49], forecast.result.points.length)

      const stats = yield* simulator.stats()
      assert.deepStrictEqual(stats.ukciByZone, { national: 1, "13": 1 })
      assert.deepStrictEqual(stats.ukciForecastByZone, { "13": 1 })
      assert.strictEqual(stats.total, 3)
      assert.deepStrictEqual(stats.byStatus, { "200": 3 })
    }))

  it.scopedLive("retries an outage, reports an empty 200 as NoData and a hang as Timeout", () =>
    Effect.gen(function*() {
      const { simulator, source } = yield* realSource({ requestTimeout: Duration.millis(300) })
      yield* simulator.addFault({
        provider: "ukci",
        zone: "national",
        fault: { kind: "server-error" },
        when: { next: 1 }
      })
      const reading = yield* source.latest("national")
      assert.isNumber(reading.carbonIntensity)
      assert.strictEqual((yield* simulator.stats()).ukciByZone["national"], 2)

      yield* simulator.addFault({ provider: "ukci", zone: "7", fault: { kind: "empty-200" } })
      const empty = yield* Effect.flip(source.latest("7"))
      assert.strictEqual(empty.reason, "NoData")
      assert.strictEqual((yield* simulator.stats()).ukciByZone["7"], 1)

      yield* simulator.addFault({ provider: "ukci", zone: "2", fault: { kind: "hang" } })
      const hung = yield* Effect.flip(source.latest("2"))
      assert.strictEqual(hung.reason, "Timeout")
      assert.strictEqual((yield* simulator.stats()).ukciByZone["2"], 3)
    }))

  it.scopedLive("waits as a 429's Retry-After asks; an undecodable body is BadResponse, not retried", () =>
    Effect.gen(function*() {
      const { simulator, source } = yield* realSource()
      yield* simulator.addFault({
        provider: "ukci",
        zone: "13",
        fault: { kind: "rate-limit-429", retryAfterSeconds: 1 },
        when: { next: 1 }
      })
      // How long it waits is the unit tests' (on TestClock); here, that the wire format is read.
      const reading = yield* source.latest("13")
      assert.strictEqual(reading.zone, "13")
      assert.strictEqual((yield* simulator.stats()).byStatus["429"], 1)

      yield* simulator.addFault({ provider: "ukci", zone: "14", fault: { kind: "invalid-json" } })
      const undecodable = yield* Effect.flip(source.latest("14"))
      assert.strictEqual(undecodable.reason, "BadResponse")
      assert.strictEqual((yield* simulator.stats()).ukciByZone["14"], 1)
    }))

  it.scopedLive("a missing actual is an estimate; the previous half-hour keeps its own start", () =>
    Effect.gen(function*() {
      const { simulator, source } = yield* realSource()
      yield* simulator.setFaults([
        { provider: "ukci", fault: { kind: "actual-null" } },
        { provider: "ukci", fault: { kind: "datetime", offsetMinutes: -30 } }
      ])
      // The first rule that fires decides the answer: actual-null here.
      const estimated = yield* source.latest("national")
      assert.isTrue(estimated.isEstimated)
      yield* simulator.setFaults([{ provider: "ukci", fault: { kind: "datetime", offsetMinutes: -30 } }])
      const previous = yield* during(source.latest("national"))
      const started = Date.parse(previous.result.datetime) + HALF_HOUR
      assert.include(previous.halfHours, halfHourOf(started))
    }))
})
