/**
 * Forecasts in the running service, over the fake API and virtual time: when they are asked for,
 * what the file says about them, and that they never touch the poll.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Metric, MetricLabel, Option, Schema, TestClock } from "effect"
import { pollOnceAndExit } from "../../src/app/Commands.js"
import { CacheFile, renderCache } from "../../src/domain/CacheFile.js"
import * as Metrics from "../../src/observability/Metrics.js"
import { Poller } from "../../src/poll/Poller.js"
import { PollStatus } from "../../src/poll/PollStatus.js"
import { nextCache } from "../../src/poll/Ranking.js"
import { type Answer, type FakeApiOptions, hang, respond } from "../support/FakeApi.js"
import { forecastBody } from "../support/fixtures.js"
import { makeHarness } from "../support/harness.js"
import { PRE_FORECAST_KEYS } from "../support/samples.js"
import type { Settings } from "../support/settings.js"
import { at } from "./support.js"

const ZONES = ["DE", "FR"]
const START = "2024-03-06T10:00:00Z"
const TARGET = "/cache/carbon_cache.json"

/** DE is cleanest from 13:00 for two hours; FR is flat. */
const DE_VALUES = [400, 380, 300, 120, 100, 250, ...Array.from({ length: 18 }, () => 350)]
const FR_VALUES = Array.from({ length: 24 }, () => 150)
const FORECASTS = { DE: forecastBody("DE", START, DE_VALUES), FR: forecastBody("FR", START, FR_VALUES) }

const decodeCache = Schema.decodeUnknownSync(Schema.parseJson(CacheFile))

const harness = (
  options: { readonly api?: FakeApiOptions; readonly settings?: Partial<Settings> } = {}
) =>
  makeHarness({
    api: { intensities: { DE: 380, FR: 40 }, forecasts: FORECASTS, ...options.api },
    settings: { zones: ZONES, forecastWindowsMinutes: [60, 120], ...options.settings }
  })

type Harness = ReturnType<typeof harness>

/** Runs the service's loop from 10:00:30 (inside the forecast's first point) until interrupted. */
const startService = (h: Harness) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(at(START) + 30_000)
    const fiber = yield* Effect.fork(h.launch)
    yield* TestClock.adjust("1 millis")
    return fiber
  })

const fileOf = (h: Harness) => decodeCache(h.memory.read(TARGET) ?? "null")

/** A `/zones` answer listing the zones with the given access paths. */
const zonesBody = (access: Readonly<Record<string, ReadonlyArray<string>>>) =>
  JSON.stringify(
    Object.fromEntries(Object.entries(access).map(([zone, paths]) => [zone, { zoneName: zone, access: paths }]))
  )
const LATEST_ONLY = ["carbon-intensity/latest", "carbon-intensity/history"]
const WITH_FORECAST = [...LATEST_ONLY, "carbon-intensity/forecast"]

const unauthorized: Answer = respond(
  401,
  JSON.stringify({ error: "Request unauthorized for zoneKey=DE,requestType=forecast,dataType=carbon-intensity." })
)

describe("forecasts in the service", () => {
  it.effect("with FORECAST_WINDOWS_MINUTES unset the file is byte for byte the rendering without forecasts", () =>
    Effect.gen(function*() {
      const h = harness({ settings: { forecastWindowsMinutes: [] } })
      yield* TestClock.setTime(at(START))
      const summary = yield* h.run(Effect.flatMap(Poller, (poller) => poller.pollOnce(ZONES)))
      const withoutForecasts = nextCache({
        configuredZones: ZONES,
        fresh: summary.fresh,
        failures: summary.failures,
        previous: undefined,
        now: at(START),
        ttlMinutes: 10
      })
      assert.strictEqual(h.memory.read(TARGET), renderCache(withoutForecasts!).contents)
      assert.deepStrictEqual(Object.keys(JSON.parse(h.memory.read(TARGET)!)), PRE_FORECAST_KEYS)
      assert.strictEqual(h.api.totalForecastRequests, 0)
    }))

  it.effect("with the variable unset the loop asks for no forecast and writes no forecast key", () =>
    Effect.gen(function*() {
      const h = harness({ settings: { forecastWindowsMinutes: [] } })
      const fiber = yield* startService(h)
      yield* TestClock.adjust("2 hours")
      assert.strictEqual(h.api.totalForecastRequests, 0)
      assert.deepStrictEqual(Object.keys(JSON.parse(h.memory.read(TARGET)!)), PRE_FORECAST_KEYS)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("adds best_windows, forecasts and unavailable_forecasts after every older key", () =>
    Effect.gen(function*() {
      const h = harness()
      const fiber = yield* startService(h)
      yield* TestClock.adjust("5 minutes")
      const text = h.memory.read(TARGET)!
      assert.deepStrictEqual(Object.keys(JSON.parse(text)), [
        ...PRE_FORECAST_KEYS,
        "best_windows",
        "forecasts",
        "unavailable_forecasts"
      ])
      const cache = decodeCache(text)
      assert.deepStrictEqual(cache.best_windows, [
        { minutes: 60, zone: "DE", start: "2024-03-06T14:00:00Z", end: "2024-03-06T15:00:00Z", carbonIntensity: 100 },
        { minutes: 120, zone: "DE", start: "2024-03-06T13:00:00Z", end: "2024-03-06T15:00:00Z", carbonIntensity: 110 }
      ])
      assert.deepStrictEqual(Object.keys(cache.forecasts ?? {}), ["DE", "FR"])
      assert.deepStrictEqual(cache.forecasts?.["FR"]?.best_windows.map((w) => [w.start, w.carbonIntensity]), [
        ["2024-03-06T10:00:00Z", 150],
        ["2024-03-06T10:00:00Z", 150]
      ])
      assert.strictEqual(cache.forecasts?.["DE"]?.fetched, "2024-03-06T10:00:30")
      assert.strictEqual(cache.forecasts?.["DE"]?.updatedAt, "2024-03-06T09:50:00.000Z")
      assert.deepStrictEqual(cache.unavailable_forecasts, {})
      // The ranking is the readings', whatever the forecasts say: FR is cleaner now.
      assert.deepStrictEqual(cache.sorted_by_carbon, ["FR", "DE"])
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("asks for each zone's forecast once per FORECAST_REFRESH_MINUTES over many polls", () =>
    Effect.gen(function*() {
      const h = harness()
      const fiber = yield* startService(h)
      for (let poll = 1; poll < 12; poll++) yield* TestClock.adjust("5 minutes")
      assert.strictEqual(h.api.totalLatestRequests, 12 * ZONES.length)
      for (const zone of ZONES) assert.strictEqual(h.api.forecastRequestsFor(zone), 1, zone)
      yield* TestClock.adjust("5 minutes")
      for (const zone of ZONES) assert.strictEqual(h.api.forecastRequestsFor(zone), 2, zone)
      for (let poll = 0; poll < 12; poll++) yield* TestClock.adjust("5 minutes")
      assert.strictEqual(h.api.totalLatestRequests, 25 * ZONES.length)
      for (const zone of ZONES) assert.strictEqual(h.api.forecastRequestsFor(zone), 3, zone)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("a plan without forecasts: one warning at start, no forecast call, no forecast key", () =>
    Effect.gen(function*() {
      const h = harness({ api: { zonesBody: zonesBody({ DE: LATEST_ONLY, FR: LATEST_ONLY }) } })
      const fiber = yield* startService(h)
      yield* TestClock.adjust("3 hours")
      assert.strictEqual(h.api.totalForecastRequests, 0)
      assert.deepStrictEqual(Object.keys(JSON.parse(h.memory.read(TARGET)!)), PRE_FORECAST_KEYS)
      const warnings = h.logLines.filter((line) => line.includes("does not cover forecasts"))
      assert.include(warnings[0], "for any configured zone")
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0], "\"logLevel\":\"WARN\"")
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("a zone outside the plan's forecasts is not asked for and is named in unavailable_forecasts", () =>
    Effect.gen(function*() {
      const h = harness({ api: { zonesBody: zonesBody({ DE: WITH_FORECAST, FR: LATEST_ONLY }) } })
      const fiber = yield* startService(h)
      yield* TestClock.adjust("5 minutes")
      assert.strictEqual(h.api.forecastRequestsFor("FR"), 0)
      assert.strictEqual(h.api.forecastRequestsFor("DE"), 1)
      const cache = fileOf(h)
      assert.deepStrictEqual(Object.keys(cache.forecasts ?? {}), ["DE"])
      assert.strictEqual(cache.unavailable_forecasts?.["FR"]?.reason, "NotInPlan")
      assert.strictEqual(h.logLines.filter((line) => line.includes("does not cover forecasts for FR")).length, 1)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("a 401 on the forecast route is reported, not retried, and tried again at the next refresh", () =>
    Effect.gen(function*() {
      const h = harness({ api: { forecastScripts: { DE: [unauthorized] } } })
      const fiber = yield* startService(h)
      yield* TestClock.adjust("5 minutes")
      assert.strictEqual(h.api.forecastRequestsFor("DE"), 1)
      const refused = fileOf(h)
      assert.deepStrictEqual(refused.unavailable_forecasts?.["DE"], {
        reason: "Unauthorized",
        message: "Request unauthorized for zoneKey=DE,requestType=forecast,dataType=carbon-intensity."
      })
      assert.deepStrictEqual(Object.keys(refused.forecasts ?? {}), ["FR"])
      assert.deepStrictEqual(refused.best_windows?.map((w) => w.zone), ["FR", "FR"])
      assert.strictEqual(h.logLines.filter((line) => line.includes("forecast: zone DE: Unauthorized")).length, 1)
      // Readings are untouched: DE still has its reading.
      assert.deepStrictEqual([...refused.sorted_by_carbon].sort(), ["DE", "FR"])
      yield* TestClock.adjust("55 minutes")
      assert.strictEqual(h.api.forecastRequestsFor("DE"), 2)
      yield* TestClock.adjust("5 minutes")
      const recovered = fileOf(h)
      assert.deepStrictEqual(Object.keys(recovered.forecasts ?? {}), ["DE", "FR"])
      assert.deepStrictEqual(recovered.unavailable_forecasts, {})
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("a failed refresh keeps the last good forecast up to twice the refresh interval, then names the zone", () =>
    Effect.gen(function*() {
      const failing = respond(503, "{}")
      const h = harness({
        api: { forecastScripts: { DE: [respond(200, FORECASTS.DE), ...Array.from({ length: 8 }, () => failing)] } },
        settings: { maxRetries: 0, forecastRefreshMinutes: 30 }
      })
      const fiber = yield* startService(h)
      yield* TestClock.adjust("55 minutes") // refreshes at 0 (good) and 30 (failed): 55 minutes old
      const bridged = fileOf(h)
      assert.deepStrictEqual(Object.keys(bridged.forecasts ?? {}), ["DE", "FR"])
      assert.strictEqual(bridged.forecasts?.["DE"]?.fetched, "2024-03-06T10:00:30")
      yield* TestClock.adjust("10 minutes") // 65 minutes old
      const dropped = fileOf(h)
      assert.deepStrictEqual(Object.keys(dropped.forecasts ?? {}), ["FR"])
      assert.strictEqual(dropped.unavailable_forecasts?.["DE"]?.reason, "Stale")
      assert.include(dropped.unavailable_forecasts?.["DE"]?.message, "ServerError")
      yield* Fiber.interrupt(fiber)
    }))

  const refusals: ReadonlyArray<readonly [string, string, string]> = [
    ["a forecast for another zone", forecastBody("FR", START, DE_VALUES), "WrongZone"],
    ["a negative value", forecastBody("DE", START, [...DE_VALUES.slice(0, 5), -5]), "ImpossibleValue"],
    ["a value over 5000", forecastBody("DE", START, [...DE_VALUES.slice(0, 5), 5001]), "ImpossibleValue"],
    [
      "an overflowing value",
      forecastBody("DE", START, [1]).replace("\"carbonIntensity\":1", "\"carbonIntensity\":1e400"),
      "ImpossibleValue"
    ],
    ["a null value", forecastBody("DE", START, [...DE_VALUES.slice(0, 5), null]), "MissingValue"],
    [
      "a point without an offset",
      forecastBody("DE", START, [], { forecast: [{ carbonIntensity: 100, datetime: "2024-03-06T11:00" }] }),
      "BadDatetime"
    ],
    [
      "an updatedAt that is not a time",
      forecastBody("DE", START, DE_VALUES, { updatedAt: "yesterday" }),
      "BadDatetime"
    ],
    ["no points", forecastBody("DE", START, []), "Empty"]
  ]
  for (const [what, body, reason] of refusals) {
    it.effect(`refuses ${what} as ${reason}, names the zone, and keeps the other zones' forecasts`, () =>
      Effect.gen(function*() {
        const h = harness({ api: { forecasts: { ...FORECASTS, DE: body } } })
        const fiber = yield* startService(h)
        yield* TestClock.adjust("5 minutes")
        const cache = fileOf(h)
        assert.strictEqual(cache.unavailable_forecasts?.["DE"]?.reason, reason)
        assert.deepStrictEqual(Object.keys(cache.forecasts ?? {}), ["FR"])
        assert.isTrue(cache.best_windows?.every((w) => w.zone === "FR"))
        assert.strictEqual(h.api.forecastRequestsFor("DE"), 1)
        yield* Fiber.interrupt(fiber)
      }))
  }

  it.effect("a forecast that hangs delays no poll and fails no write; its zone is pending meanwhile", () =>
    Effect.gen(function*() {
      const h = harness({ api: { forecastScripts: { DE: [hang, hang, hang, hang] } } })
      yield* TestClock.setTime(at(START) + 30_000)
      // Beside the running service, so the status read below is the loop's own.
      yield* h.serving(Effect.gen(function*() {
        yield* TestClock.adjust("1 millis")
        // The first poll wrote at once, while DE's forecast request is still open.
        assert.strictEqual(h.api.totalLatestRequests, ZONES.length)
        assert.strictEqual(h.api.forecastRequestsFor("DE"), 1)
        const first = fileOf(h)
        assert.deepStrictEqual([...first.sorted_by_carbon].sort(), ["DE", "FR"])
        assert.strictEqual(first.unavailable_forecasts?.["DE"]?.reason, "Pending")
        const status = yield* Effect.flatMap(PollStatus, (s) => s.get)
        assert.isTrue(Option.isSome(status.lastWrite))
        assert.isTrue(Option.isNone(status.lastWriteError))
        yield* TestClock.adjust("5 minutes")
        assert.strictEqual(h.api.totalLatestRequests, 2 * ZONES.length)
        assert.strictEqual(fileOf(h).unavailable_forecasts?.["DE"]?.reason, "Timeout")
      }))
    }))

  it.effect("--once asks for the forecasts before its one poll, so its file has them", () =>
    Effect.gen(function*() {
      const h = harness()
      yield* TestClock.setTime(at(START))
      yield* h.run(pollOnceAndExit)
      const cache = fileOf(h)
      assert.deepStrictEqual(Object.keys(cache.forecasts ?? {}), ["DE", "FR"])
      assert.strictEqual(cache.best_windows?.length, 2)
    }))

  it.effect("sets the best window's value and start per length, and counts fetches by zone and outcome", () =>
    Effect.gen(function*() {
      const h = harness({ api: { forecastScripts: { FR: [unauthorized] } } })
      const tags = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => MetricLabel.make(k, v))
      const count = (labels: Record<string, string>) =>
        Effect.map(Metric.value(Metric.taggedWithLabels(Metrics.forecastFetches, tags(labels))), (state) => state.count)
      const gauge = (metric: Metric.Metric.Gauge<number>, labels: Record<string, string>) =>
        Effect.map(Metric.value(Metric.taggedWithLabels(metric, tags(labels))), (state) => state.value)
      const okBefore = yield* count({ zone: "DE", outcome: "ok" })
      const refusedBefore = yield* count({ zone: "FR", outcome: "Unauthorized" })
      const fiber = yield* startService(h)
      yield* TestClock.adjust("5 minutes")
      assert.strictEqual(yield* gauge(Metrics.bestWindowCarbonIntensity, { minutes: "120" }), 110)
      assert.strictEqual(yield* gauge(Metrics.bestWindowStart, { minutes: "120" }), at("2024-03-06T13:00:00Z") / 1000)
      assert.strictEqual((yield* count({ zone: "DE", outcome: "ok" })) - okBefore, 1)
      assert.strictEqual((yield* count({ zone: "FR", outcome: "Unauthorized" })) - refusedBefore, 1)
      yield* Fiber.interrupt(fiber)
    }))
})
