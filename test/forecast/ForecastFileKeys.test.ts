/** The cache file's forecast keys from what is known about each zone: a pure function of its input. */
import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { type ForecastKeysInput, forecastKeysOf, roundIntensity } from "../../src/forecast/ForecastFileKeys.js"
import { toForecastSeries } from "../../src/forecast/ForecastSeries.js"
import type { ForecastSnapshot, ZoneForecastState } from "../../src/forecast/ForecastState.js"
import { at, evenSeries, MINUTE, recordedForecast } from "./support.js"

const recordedDE = (() => {
  const body = recordedForecast("forecast.DE.json")
  const series = toForecastSeries({ asked: "DE", zone: body.zone, points: body.forecast })
  if (Either.isLeft(series)) throw new Error("test bug: the recorded forecast is refused")
  return { series: series.right, updatedAt: body.updatedAt }
})()

const FETCHED = at("2023-05-02T20:01:07Z")

const snapshotOf = (
  byZone: Readonly<Record<string, ZoneForecastState>>,
  extra: Partial<ForecastSnapshot> = {}
): ForecastSnapshot => ({
  active: true,
  zones: Object.keys(byZone),
  notAsked: [],
  byZone: new Map(Object.entries(byZone)),
  ...extra
})

const keysOf = (snapshot: ForecastSnapshot, overrides: Partial<ForecastKeysInput> = {}) =>
  forecastKeysOf({ snapshot, windowsMinutes: [60, 240], refreshMinutes: 60, now: FETCHED, ...overrides })

const good = (series = recordedDE.series, fetchedAt = FETCHED, updatedAt: string | null = recordedDE.updatedAt) => ({
  lastGood: { series, fetchedAt, ...(updatedAt === null ? {} : { updatedAt }) }
})

describe("the forecast keys", () => {
  it("from the recorded DE forecast: the best hour is 323 at 10:00Z, four hours 329 from 09:00Z; fetched in the file's layout", () => {
    const keys = keysOf(snapshotOf({ DE: good() }))
    assert.deepStrictEqual(keys.best_windows, [
      { minutes: 60, zone: "DE", start: "2023-05-03T10:00:00Z", end: "2023-05-03T11:00:00Z", carbonIntensity: 323 },
      { minutes: 240, zone: "DE", start: "2023-05-03T09:00:00Z", end: "2023-05-03T13:00:00Z", carbonIntensity: 329 }
    ])
    assert.deepStrictEqual(keys.forecasts, {
      DE: {
        updatedAt: "2023-05-02T19:52:09.141Z",
        fetched: "2023-05-02T20:01:07",
        best_windows: [
          { minutes: 60, start: "2023-05-03T10:00:00Z", end: "2023-05-03T11:00:00Z", carbonIntensity: 323 },
          { minutes: 240, start: "2023-05-03T09:00:00Z", end: "2023-05-03T13:00:00Z", carbonIntensity: 329 }
        ]
      }
    })
    assert.deepStrictEqual(keys.unavailable_forecasts, {})
  })

  it("writes the keys of each window in the documented order", () => {
    const keys = keysOf(snapshotOf({ DE: good() }))
    assert.deepStrictEqual(Object.keys(keys.best_windows[0]!), ["minutes", "zone", "start", "end", "carbonIntensity"])
    assert.deepStrictEqual(Object.keys(keys.forecasts["DE"]!), ["updatedAt", "fetched", "best_windows"])
  })

  it("leaves updatedAt out when the provider did not send it", () => {
    const keys = keysOf(snapshotOf({ DE: good(recordedDE.series, FETCHED, null) }))
    assert.deepStrictEqual(Object.keys(keys.forecasts["DE"]!), ["fetched", "best_windows"])
  })

  it("rounds a window's mean to 0.1 for the file, after choosing it on the exact value", () => {
    // 90 minutes from 10:00 is (323 + 324 / 2) / 1.5 = 323.333...
    const keys = keysOf(snapshotOf({ DE: good() }), { windowsMinutes: [90] })
    assert.strictEqual(keys.best_windows[0]!.carbonIntensity, 323.3)
    assert.strictEqual(roundIntensity(100.25), 100.3)
    assert.strictEqual(roundIntensity(512), 512)
  })

  it("lists the best over all zones per length in the configured order, ties to the earliest start, then the zone key", () => {
    const now = at("2024-01-01T00:00:00Z")
    const keys = keysOf(
      snapshotOf({
        ZB: good(evenSeries("2024-01-01T00:00:00Z", 60, [50, 10, 90, 90]), now),
        ZA: good(evenSeries("2024-01-01T00:00:00Z", 60, [60, 10, 20, 20]), now)
      }),
      { windowsMinutes: [120, 60], now }
    )
    assert.deepStrictEqual(keys.best_windows.map((w) => [w.minutes, w.zone, w.start, w.carbonIntensity]), [
      [120, "ZA", "2024-01-01T01:00:00Z", 15],
      [60, "ZA", "2024-01-01T01:00:00Z", 10]
    ])
    assert.deepStrictEqual(Object.keys(keys.forecasts), ["ZB", "ZA"])
  })

  it("offers no window that began before the point containing now (a forecast fetched 50 minutes ago)", () => {
    const fetchedAt = at("2024-01-01T00:05:00Z")
    const series = evenSeries("2024-01-01T00:00:00Z", 60, [10, 50, 60, 70])
    const keys = keysOf(snapshotOf({ Z: good(series, fetchedAt) }), {
      windowsMinutes: [60],
      now: fetchedAt + 110 * MINUTE // 01:55, inside the 01:00 point
    })
    assert.deepStrictEqual(keys.best_windows.map((w) => [w.start, w.carbonIntensity]), [["2024-01-01T01:00:00Z", 50]])
  })

  it("a zone whose remaining forecast is too short for a length has no window of that length", () => {
    const now = at("2024-01-01T00:00:00Z")
    const keys = keysOf(snapshotOf({ Z: good(evenSeries("2024-01-01T00:00:00Z", 60, [10, 20]), now) }), {
      windowsMinutes: [60, 180],
      now
    })
    assert.deepStrictEqual(keys.forecasts["Z"]!.best_windows.map((w) => w.minutes), [60])
    assert.deepStrictEqual(keys.best_windows.map((w) => w.minutes), [60])
  })

  it("keeps a forecast exactly twice FORECAST_REFRESH_MINUTES old, and drops one a millisecond older, naming the zone", () => {
    const state = { DE: good(), FR: good(recordedDE.series, FETCHED - 1) }
    const now = FETCHED + 120 * MINUTE
    const keys = keysOf(snapshotOf(state), { now, refreshMinutes: 60 })
    assert.deepStrictEqual(Object.keys(keys.forecasts), ["DE"])
    assert.strictEqual(keys.unavailable_forecasts["FR"]?.reason, "Stale")
    assert.include(keys.unavailable_forecasts["FR"]?.message, "120 minutes")
  })

  it("a stale forecast's message says why the refreshes failed", () => {
    const state: Record<string, ZoneForecastState> = {
      DE: {
        ...good(),
        lastFailure: { reason: "Unauthorized", message: "Rate limit exceeded", at: FETCHED + 60 * MINUTE }
      }
    }
    const keys = keysOf(snapshotOf(state), { now: FETCHED + 121 * MINUTE })
    assert.strictEqual(keys.unavailable_forecasts["DE"]?.reason, "Stale")
    assert.include(keys.unavailable_forecasts["DE"]?.message, "Unauthorized: Rate limit exceeded")
  })

  it("bridges a failed refresh with the last good forecast while it is young enough", () => {
    const state: Record<string, ZoneForecastState> = {
      DE: { ...good(), lastFailure: { reason: "ServerError", message: "boom", at: FETCHED + 60 * MINUTE } }
    }
    const keys = keysOf(snapshotOf(state), { now: FETCHED + 61 * MINUTE })
    assert.deepStrictEqual(Object.keys(keys.forecasts), ["DE"])
    assert.deepStrictEqual(keys.unavailable_forecasts, {})
  })

  it("names a zone that never had a good forecast with its failure's reason and message, or as pending", () => {
    const keys = keysOf(snapshotOf({
      DE: { lastFailure: { reason: "ImpossibleValue", message: "point 3 is -5", at: FETCHED } },
      FR: {}
    }))
    assert.deepStrictEqual(keys.unavailable_forecasts, {
      DE: { reason: "ImpossibleValue", message: "point 3 is -5" },
      FR: { reason: "Pending", message: "no forecast fetched yet" }
    })
    assert.deepStrictEqual(keys.best_windows, [])
    assert.deepStrictEqual(keys.forecasts, {})
  })

  it("names a zone whose forecast has run out", () => {
    const keys = keysOf(snapshotOf({ DE: good() }), { now: at("2023-05-04T20:00:00Z"), refreshMinutes: 24 * 60 })
    assert.strictEqual(keys.unavailable_forecasts["DE"]?.reason, "Ended")
    assert.deepStrictEqual(keys.forecasts, {})
  })

  it("names the zones that were not asked for, with the zone check's reason", () => {
    const keys = keysOf(snapshotOf({ DE: good() }, {
      notAsked: [{ zone: "FR", reason: "NotInPlan", message: "the API plan does not cover forecasts" }]
    }))
    assert.deepStrictEqual(keys.unavailable_forecasts, {
      FR: { reason: "NotInPlan", message: "the API plan does not cover forecasts" }
    })
  })
})
