/**
 * Forecasts over real HTTP against the project's simulator, on virtual time where the test counts
 * calls over hours (the simulator follows the same TestClock), on live time otherwise.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Logger, Queue, Schema, TestClock } from "effect"
import * as AppLayer from "../../src/app/AppLayer.js"
import { pollOnceAndExit } from "../../src/app/Commands.js"
import { CacheFile } from "../../src/domain/CacheFile.js"
import * as NodePlatform from "../../src/platform/NodePlatform.js"
import type { PollSummary } from "../../src/poll/PollSummary.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import { summariesInto } from "../support/pollWatch.js"
import { configContext, type Settings, testSettings } from "../support/settings.js"

const ZONES = ["DE", "FR", "GB"]

const service = (
  options: {
    readonly simulator?: Simulator.SimulatorOptions
    readonly settings?: (simulator: Simulator.SimulatorHandle) => Partial<Settings>
  } = {}
) =>
  Effect.gen(function*() {
    const simulator = yield* Simulator.start({ port: 0, seed: 11, ...options.simulator }).pipe(Effect.orDie)
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "carbon-poller-forecast-it-" })
    const cacheFile = `${dir}/carbon_cache.json`
    const logLines: Array<string> = []
    const settings = testSettings({
      apiUrl: simulator.baseUrl,
      cacheFile,
      zones: ZONES,
      retryBaseDelay: Duration.millis(10),
      requestTimeout: Duration.seconds(5),
      forecastWindowsMinutes: [60, 240],
      ...options.settings?.(simulator)
    })
    /** A layer of the assembly over Node's platform, these settings and a capturing logger. */
    const over = <A, E, R>(app: Layer.Layer<A, E, R>) =>
      app.pipe(
        Layer.provideMerge(Layer.succeedContext(configContext(settings))),
        Layer.provide(NodePlatform.layer),
        Layer.provideMerge(
          Logger.replace(Logger.defaultLogger, Logger.map(Logger.jsonLogger, (line) => void logLines.push(line)))
        )
      )
    const layer = over(AppLayer.ServicesLayer)
    const readCache = Effect.flatMap(fs.readFileString(cacheFile), Schema.decodeUnknown(Schema.parseJson(CacheFile)))
    const readText = fs.readFileString(cacheFile)
    return { simulator, over, layer, readCache, readText, logLines }
  }).pipe(Effect.provide(NodeFileSystem.layer))

type Service = Effect.Effect.Success<ReturnType<typeof service>>

/**
 * Runs the long-running service and hands `drive` a way to move virtual time by one poll interval
 * and wait until that poll has finished (its HTTP is real, so time alone does not finish it). The
 * polls are watched by one more layer over the same services, built before the service.
 */
const drivePolls = <A, E>(s: Service, drive: (nextPoll: Effect.Effect<PollSummary>) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const polls = yield* Queue.unbounded<PollSummary>()
    const watch = summariesInto(polls)
    const loop = yield* Effect.fork(Layer.launch(s.over(AppLayer.ServiceLayer.pipe(Layer.provide(watch)))))
    yield* Queue.take(polls)
    const result = yield* drive(Effect.zipRight(TestClock.adjust("5 minutes"), Queue.take(polls)))
    yield* Fiber.interrupt(loop)
    return result
  })

const forecastCalls = (stats: Simulator.SimulatorStats) => stats.byEndpoint["forecast"] ?? 0

describe("forecasts against the simulator over real HTTP", () => {
  it.scoped("one forecast call per zone per FORECAST_REFRESH_MINUTES over thirteen polls", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2024-03-06T10:20:00Z"))
      const s = yield* service()
      const stats = yield* drivePolls(s, (nextPoll) =>
        Effect.gen(function*() {
          yield* s.simulator.awaitStats((stats) => forecastCalls(stats) >= ZONES.length)
          for (let poll = 2; poll <= 12; poll++) yield* nextPoll
          const beforeTheHour = yield* s.simulator.stats()
          for (const zone of ZONES) assert.strictEqual(beforeTheHour.forecastByZone[zone], 1, zone)
          yield* nextPoll
          return yield* s.simulator.awaitStats((stats) => forecastCalls(stats) >= 2 * ZONES.length)
        }))
      for (const zone of ZONES) {
        assert.strictEqual(stats.byZone[zone], 13, zone)
        assert.strictEqual(stats.forecastByZone[zone], 2, zone)
      }
      const cache = yield* s.readCache
      assert.deepStrictEqual(cache.best_windows?.map((w) => w.minutes), [60, 240])
      assert.deepStrictEqual(Object.keys(cache.forecasts ?? {}), ZONES)
    }))

  it.scoped("a 401 on the forecast route is not retried, is reported, and is tried again at the next refresh", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2024-03-06T10:20:00Z"))
      const s = yield* service({
        simulator: { faults: [{ route: "forecast", zone: "DE", fault: { kind: "rate-limit-401" }, when: { next: 1 } }] }
      })
      yield* drivePolls(s, (nextPoll) =>
        Effect.gen(function*() {
          yield* s.simulator.awaitStats((stats) => forecastCalls(stats) >= ZONES.length)
          yield* nextPoll
          assert.strictEqual((yield* s.simulator.stats()).forecastByZone["DE"], 1)
          const refused = yield* s.readCache
          assert.deepStrictEqual(refused.unavailable_forecasts?.["DE"], {
            reason: "Unauthorized",
            message: "Rate limit exceeded"
          })
          assert.isTrue("DE" in refused.regions)
          for (let poll = 3; poll <= 13; poll++) yield* nextPoll
          yield* s.simulator.awaitStats((stats) => forecastCalls(stats) >= 2 * ZONES.length)
          yield* nextPoll
          assert.strictEqual((yield* s.simulator.stats()).forecastByZone["DE"], 2)
          const recovered = yield* s.readCache
          assert.deepStrictEqual(Object.keys(recovered.forecasts ?? {}), ZONES)
        }))
      assert.strictEqual(s.logLines.filter((line) => line.includes("forecast: zone DE: Unauthorized")).length, 1)
    }))

  it.scopedLive("a plan without forecasts: one warning, zero forecast calls, no forecast keys", () =>
    Effect.gen(function*() {
      const s = yield* service({ simulator: { forecastAccess: false } })
      yield* pollOnceAndExit.pipe(Effect.provide(s.layer))
      const stats = yield* s.simulator.stats()
      assert.deepStrictEqual(stats.forecastByZone, {})
      assert.strictEqual(forecastCalls(stats), 0)
      assert.strictEqual(
        s.logLines.filter((line) =>
          line.includes("does not cover forecasts (carbon-intensity/forecast) for any configured zone")
        ).length,
        1
      )
      const text = yield* s.readText
      for (const key of ["best_windows", "forecasts", "unavailable_forecasts"]) assert.notInclude(text, key)
    }))

  it.scopedLive("decodes the legacy /v3 forecast, which has no temporalGranularity", () =>
    Effect.gen(function*() {
      const s = yield* service({ settings: (simulator) => ({ apiUrl: simulator.baseUrlV3 }) })
      yield* pollOnceAndExit.pipe(Effect.provide(s.layer))
      const stats = yield* s.simulator.stats()
      assert.strictEqual(stats.byVersion.v3, stats.total)
      const cache = yield* s.readCache
      assert.deepStrictEqual(Object.keys(cache.forecasts ?? {}), ZONES)
      assert.deepStrictEqual(cache.unavailable_forecasts, {})
    }))

  it.scopedLive("finds windows in a 15-minute forecast, starting on a quarter hour", () =>
    Effect.gen(function*() {
      const s = yield* service({ simulator: { forecastGranularity: "15_minutes" } })
      yield* pollOnceAndExit.pipe(Effect.provide(s.layer))
      const cache = yield* s.readCache
      assert.deepStrictEqual(cache.best_windows?.map((w) => w.minutes), [60, 240])
      for (const window of cache.best_windows ?? []) assert.match(window.start, /T\d{2}:(00|15|30|45):00Z$/)
    }))
})
