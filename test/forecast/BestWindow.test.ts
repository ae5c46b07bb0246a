import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"

import { bestWindow, bestWindowsAcrossZones, windowValue } from "../../src/forecast/BestWindow.js"
import { type ForecastSeries, toForecastSeries } from "../../src/forecast/ForecastSeries.js"
import { at, evenSeries, HOUR, MINUTE, recordedForecast, seriesOf } from "./support.js"

/** The value of each window of `minutes` starting at a point's instant, in order, while it fits. */
const rollingAverage = (series: ForecastSeries, minutes: number): ReadonlyArray<number> =>
  series.points.flatMap((point) => windowValue(series, point.at, minutes) ?? [])

const recordedSeries = (name: string): ForecastSeries => {
  const body = recordedForecast(name)
  return Either.getOrThrow(toForecastSeries({ asked: body.zone, zone: body.zone, points: body.forecast }))
}

describe("windowValue", () => {
  // Four 5-minute points from 2020-01-01T00:00Z: 10, 20, 30, 40 (the forecast ends at 00:20).
  const sdkData = evenSeries("2020-01-01T00:00:00Z", 5, [10, 20, 30, 40])
  const mean = (startIso: string, endIso: string): number | undefined =>
    windowValue(sdkData, at(startIso), (at(endIso) - at(startIso)) / MINUTE)

  it("Carbon Aware SDK example: full dataset 00:00-00:20 over 10, 20, 30, 40 is 25", () => {
    assert.strictEqual(mean("2020-01-01T00:00:00Z", "2020-01-01T00:20:00Z"), 25)
  })

  it("Carbon Aware SDK example: partial first point 00:04-00:20 is 28.75", () => {
    assert.strictEqual(mean("2020-01-01T00:04:00Z", "2020-01-01T00:20:00Z"), 28.75)
  })

  it("Carbon Aware SDK example: partial last point 00:00-00:16 is 21.25", () => {
    assert.strictEqual(mean("2020-01-01T00:00:00Z", "2020-01-01T00:16:00Z"), 21.25)
  })

  it("Carbon Aware SDK example: partial first and last points 00:02:30-00:17:30 is 25", () => {
    assert.strictEqual(mean("2020-01-01T00:02:30Z", "2020-01-01T00:17:30Z"), 25)
  })

  it("Carbon Aware SDK example: inside a single point 00:02-00:03 is 10", () => {
    assert.strictEqual(mean("2020-01-01T00:02:00Z", "2020-01-01T00:03:00Z"), 10)
  })

  it("Carbon Aware SDK example: a period starting 1 s before or ending 1 s after the data has no value", () => {
    assert.isUndefined(mean("2019-12-31T23:59:59Z", "2020-01-01T00:20:00Z"))
    assert.isUndefined(mean("2020-01-01T00:00:00Z", "2020-01-01T00:20:01Z"))
    assert.isUndefined(mean("2019-12-31T23:59:59Z", "2020-01-01T00:20:01Z"))
  })

  it("Carbon Aware SDK example: hourly 30, 100, 50 from 01:00; 01:30-03:30 is 30/4 + 100/2 + 50/4 = 70", () => {
    const hourly = evenSeries("2022-01-01T01:00:00Z", 60, [30, 100, 50])
    assert.strictEqual(windowValue(hourly, at("2022-01-01T01:30:00Z"), 120), 70)
  })

  it("Carbon Aware SDK example: hourly 30, 100, 50 over their full three hours is (30 + 100 + 50) / 3 = 60", () => {
    const hourly = evenSeries("2022-01-01T01:00:00Z", 60, [30, 100, 50])
    assert.strictEqual(windowValue(hourly, at("2022-01-01T01:00:00Z"), 180), 60)
  })

  it("counts the last point for one step, not zero: the window over the last point alone is its value", () => {
    assert.strictEqual(windowValue(sdkData, at("2020-01-01T00:15:00Z"), 5), 40)
    assert.isUndefined(windowValue(sdkData, at("2020-01-01T00:15:00Z"), 5.01))
  })

  it("lets a point cover up to the next one however far it is (a gap is not a hole)", () => {
    // 100 from 00:00 until 03:00 (three hours), then 10 for one hour.
    const gappy = seriesOf([["2024-01-01T00:00:00Z", 100], ["2024-01-01T03:00:00Z", 10]], 60)
    assert.strictEqual(windowValue(gappy, at("2024-01-01T02:00:00Z"), 120), 55)
    assert.strictEqual(windowValue(gappy, at("2024-01-01T00:00:00Z"), 240), 77.5)
  })

  it("has no value for a length that is not a positive number, nor for an empty series", () => {
    for (const minutes of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.isUndefined(windowValue(sdkData, at("2020-01-01T00:00:00Z"), minutes), String(minutes))
    }
    assert.isUndefined(windowValue({ points: [], stepMillis: HOUR }, 0, 60))
  })
})

describe("bestWindow: the Carbon Aware SDK's documented rolling averages", () => {
  const START = "2020-01-01T00:00:00Z"
  const beginning = at(START)

  it("Carbon Aware SDK example: 5-minute [10, 20, 30, 40, 5], 10-minute windows are [15, 25, 35, 22.5]; the best is 15 at the start, not the lone 5 at the end", () => {
    const series = evenSeries(START, 5, [10, 20, 30, 40, 5])
    assert.deepStrictEqual(rollingAverage(series, 10), [15, 25, 35, 22.5])
    assert.deepStrictEqual(bestWindow(series, 10, beginning), {
      minutes: 10,
      start: beginning,
      end: beginning + 10 * MINUTE,
      carbonIntensity: 15
    })
  })

  it("Carbon Aware SDK example: 5-minute [5, 55, 10, 10, 10], 10-minute windows are [30, 32.5, 10, 10]; the best is 10 at 00:10, the earlier of two", () => {
    const series = evenSeries(START, 5, [5, 55, 10, 10, 10])
    assert.deepStrictEqual(rollingAverage(series, 10), [30, 32.5, 10, 10])
    assert.deepStrictEqual(bestWindow(series, 10, beginning), {
      minutes: 10,
      start: at("2020-01-01T00:10:00Z"),
      end: at("2020-01-01T00:20:00Z"),
      carbonIntensity: 10
    })
  })

  it("Carbon Aware SDK example: 5-minute [12, 11, 10, 12, 13], 10-minute windows are [11.5, 10.5, 11, 12.5]; the best is 10.5 at 00:05, not the lone 10 at 00:10", () => {
    const series = evenSeries(START, 5, [12, 11, 10, 12, 13])
    assert.deepStrictEqual(rollingAverage(series, 10), [11.5, 10.5, 11, 12.5])
    assert.deepStrictEqual(bestWindow(series, 10, beginning), {
      minutes: 10,
      start: at("2020-01-01T00:05:00Z"),
      end: at("2020-01-01T00:15:00Z"),
      carbonIntensity: 10.5
    })
  })

  const sdkData = evenSeries(START, 5, [10, 20, 30, 40])

  it("Carbon Aware SDK example: window 5 = granularity over [10, 20, 30, 40] gives [10, 20, 30, 40]", () => {
    assert.deepStrictEqual(rollingAverage(sdkData, 5), [10, 20, 30, 40])
  })

  it("Carbon Aware SDK example: window 10 > granularity over [10, 20, 30, 40] gives [15, 25, 35]", () => {
    assert.deepStrictEqual(rollingAverage(sdkData, 10), [15, 25, 35])
    assert.strictEqual(bestWindow(sdkData, 10, beginning)?.carbonIntensity, 15)
  })

  it("Carbon Aware SDK example: window 2 < granularity over [10, 20, 30, 40] gives [10, 20, 30, 40]", () => {
    assert.deepStrictEqual(rollingAverage(sdkData, 2), [10, 20, 30, 40])
    assert.deepStrictEqual(bestWindow(sdkData, 2, beginning), {
      minutes: 2,
      start: beginning,
      end: beginning + 2 * MINUTE,
      carbonIntensity: 10
    })
  })

  it("Carbon Aware SDK example: starting after the data's start (00:05) leaves [20, 30, 40]; here `now` 00:07 is in the 00:05 point", () => {
    const now = at("2020-01-01T00:07:00Z")
    assert.deepStrictEqual(bestWindow(sdkData, 5, now), {
      minutes: 5,
      start: at("2020-01-01T00:05:00Z"),
      end: at("2020-01-01T00:10:00Z"),
      carbonIntensity: 20
    })
  })
})

describe("bestWindow on the recorded DE forecast (48 hourly points, 2023-05-02T20:00Z to 2023-05-04T19:00Z)", () => {
  const de = recordedSeries("forecast.DE.json")
  const fetched = at("2023-05-02T20:01:07Z")
  const best = (minutes: number, now: number) => {
    const window = bestWindow(de, minutes, now)
    return window && {
      start: new Date(window.start).toISOString(),
      end: new Date(window.end).toISOString(),
      carbonIntensity: window.carbonIntensity
    }
  }

  it("60 minutes: 323 at 2023-05-03T10:00Z, the earlier of the two 323s (the day repeats on 05-04)", () => {
    assert.deepStrictEqual(best(60, fetched), {
      start: "2023-05-03T10:00:00.000Z",
      end: "2023-05-03T11:00:00.000Z",
      carbonIntensity: 323
    })
  })

  it("90 minutes: (323 + 324/2) / 1.5 = 323.33... at 10:00, a partial point counting by half", () => {
    assert.deepStrictEqual(best(90, fetched), {
      start: "2023-05-03T10:00:00.000Z",
      end: "2023-05-03T11:30:00.000Z",
      carbonIntensity: (323 + 324 / 2) / 1.5
    })
  })

  it("240 minutes: (340 + 323 + 324 + 329) / 4 = 329 at 09:00, not at the lowest point 10:00 ((323 + 324 + 329 + 347) / 4 = 330.75 from 10:00 is worse)", () => {
    assert.deepStrictEqual(best(240, fetched), {
      start: "2023-05-03T09:00:00.000Z",
      end: "2023-05-03T13:00:00.000Z",
      carbonIntensity: 329
    })
  })

  it("480 minutes: 2838 / 8 = 354.75 at 08:00", () => {
    assert.deepStrictEqual(best(480, fetched), {
      start: "2023-05-03T08:00:00.000Z",
      end: "2023-05-03T16:00:00.000Z",
      carbonIntensity: 354.75
    })
  })

  it("1440 minutes: every day-long window sums to 11281 (the recording repeats daily); the earliest, 20:00, wins the 25-way tie", () => {
    assert.deepStrictEqual(best(1440, fetched), {
      start: "2023-05-02T20:00:00.000Z",
      end: "2023-05-03T20:00:00.000Z",
      carbonIntensity: 11281 / 24
    })
  })

  it("2880 minutes fills the whole forecast exactly; 2881 does not fit", () => {
    assert.strictEqual(best(2880, fetched)?.end, "2023-05-04T20:00:00.000Z")
    assert.isUndefined(best(2881, fetched))
  })

  it("later, at 2023-05-03T12:30Z, the 10:00 window has begun before the current point: the best 60 is 323 at 2023-05-04T10:00Z", () => {
    assert.deepStrictEqual(best(60, at("2023-05-03T12:30:00Z")), {
      start: "2023-05-04T10:00:00.000Z",
      end: "2023-05-04T11:00:00.000Z",
      carbonIntensity: 323
    })
  })

  it("50 minutes into the 10:00 point, a window may still start at 10:00 (the current point)", () => {
    assert.strictEqual(best(60, at("2023-05-03T10:50:00Z"))?.start, "2023-05-03T10:00:00.000Z")
    assert.strictEqual(best(60, at("2023-05-03T11:00:00Z"))?.start, "2023-05-04T10:00:00.000Z")
  })

  it("the first seven points alone (20:00 to 02:00) give 512 at 01:00-02:00, the cache example's window", () => {
    const firstSeven = { points: de.points.slice(0, 7), stepMillis: de.stepMillis }
    assert.deepStrictEqual(bestWindow(firstSeven, 60, fetched), {
      minutes: 60,
      start: at("2023-05-03T01:00:00Z"),
      end: at("2023-05-03T02:00:00Z"),
      carbonIntensity: 512
    })
  })

  it("once the last point's hour is over there is no window; in it, only windows up to what is left of it", () => {
    assert.isUndefined(best(60, at("2023-05-04T20:00:00Z")))
    assert.deepStrictEqual(best(60, at("2023-05-04T19:59:59Z")), {
      start: "2023-05-04T19:00:00.000Z",
      end: "2023-05-04T20:00:00.000Z",
      carbonIntensity: 590
    })
    assert.isUndefined(best(61, at("2023-05-04T19:00:00Z")))
  })

  it("before the forecast begins, every point is a candidate", () => {
    assert.strictEqual(best(60, at("2023-05-01T00:00:00Z"))?.start, "2023-05-03T10:00:00.000Z")
  })
})

describe("bestWindow on the API docs' forecast example (DK-DK2: 17:00, 18:00, then two days later)", () => {
  const dk = recordedSeries("forecast.docs-example.json")
  const updated = at("2018-11-26T17:25:24.685Z")

  it("infers a one-hour step (the shorter of two equally common spacings) and lets 18:00 hold for 47 hours", () => {
    assert.strictEqual(dk.stepMillis, HOUR)
    assert.strictEqual(windowValue(dk, at("2018-11-27T12:00:00Z"), 60), 297)
  })

  it("60 minutes: 194 at 2018-11-28T17:00Z, the last point for its one hour", () => {
    assert.deepStrictEqual(bestWindow(dk, 60, updated), {
      minutes: 60,
      start: at("2018-11-28T17:00:00Z"),
      end: at("2018-11-28T18:00:00Z"),
      carbonIntensity: 194
    })
  })

  it("120 minutes: 297 from 18:00 (the 194 point is too short for two hours; 17:00 gives (326 + 297) / 2 = 311.5)", () => {
    assert.deepStrictEqual(bestWindow(dk, 120, updated), {
      minutes: 120,
      start: at("2018-11-26T18:00:00Z"),
      end: at("2018-11-26T20:00:00Z"),
      carbonIntensity: 297
    })
  })
})

describe("bestWindow edge cases", () => {
  const single = evenSeries("2024-01-01T12:00:00Z", 60, [250])
  const noon = at("2024-01-01T12:00:00Z")

  it("a single point offers windows up to its one step", () => {
    assert.deepStrictEqual(bestWindow(single, 60, noon), {
      minutes: 60,
      start: noon,
      end: noon + HOUR,
      carbonIntensity: 250
    })
    assert.deepStrictEqual(bestWindow(single, 15, noon + 59 * MINUTE)?.carbonIntensity, 250)
    assert.isUndefined(bestWindow(single, 61, noon))
  })

  it("a forecast shorter than the window has none", () => {
    assert.isUndefined(bestWindow(evenSeries("2024-01-01T12:00:00Z", 15, [100, 90, 80]), 60, noon))
  })

  it("an empty series, a non-positive length or a non-finite `now` has none", () => {
    assert.isUndefined(bestWindow({ points: [], stepMillis: HOUR }, 60, noon))
    assert.isUndefined(bestWindow(single, 0, noon))
    assert.isUndefined(bestWindow(single, -60, noon))
    assert.isUndefined(bestWindow(single, 60, Number.NaN))
  })
})

describe("bestWindowsAcrossZones", () => {
  const now = at("2024-01-01T12:00:00Z")
  const zoneA = evenSeries("2024-01-01T12:00:00Z", 60, [300, 200, 100, 400])
  const zoneB = evenSeries("2024-01-01T12:00:00Z", 60, [100, 500, 500, 500])
  const zoneC = evenSeries("2024-01-01T12:00:00Z", 60, [900, 900])

  it("gives each zone its best per length in the configured order, and leaves out lengths it cannot fill", () => {
    const result = bestWindowsAcrossZones(new Map([["A", zoneA], ["C", zoneC]]), [180, 60], now)
    assert.deepStrictEqual([...result.perZone], [
      ["A", [
        { minutes: 180, start: now, end: now + 3 * HOUR, carbonIntensity: 200 },
        { minutes: 60, start: now + 2 * HOUR, end: now + 3 * HOUR, carbonIntensity: 100 }
      ]],
      ["C", [{ minutes: 60, start: now, end: now + HOUR, carbonIntensity: 900 }]]
    ])
  })

  it("picks the best over all zones per length, in the configured order", () => {
    const result = bestWindowsAcrossZones([["A", zoneA], ["B", zoneB], ["C", zoneC]], [120, 60, 600], now)
    assert.deepStrictEqual(result.overall, [
      { zone: "A", minutes: 120, start: now + HOUR, end: now + 3 * HOUR, carbonIntensity: 150 },
      { zone: "B", minutes: 60, start: now, end: now + HOUR, carbonIntensity: 100 }
    ])
  })

  it("breaks an equal value by the earliest start, then by zone key ascending", () => {
    const late = evenSeries("2024-01-01T12:00:00Z", 60, [500, 100])
    const early = evenSeries("2024-01-01T12:00:00Z", 60, [100, 500])
    const byStart = bestWindowsAcrossZones([["AA", late], ["ZZ", early]], [60], now)
    assert.deepStrictEqual(byStart.overall.map((window) => window.zone), ["ZZ"])
    const byZone = bestWindowsAcrossZones([["b", early], ["B", early], ["a", early]], [60], now)
    assert.deepStrictEqual(byZone.overall.map((window) => window.zone), ["B"])
  })

  it("has no overall window for a length no zone can fill, and nothing at all without zones", () => {
    assert.deepStrictEqual(bestWindowsAcrossZones([["C", zoneC]], [180], now).overall, [])
    const none = bestWindowsAcrossZones(new Map(), [60], now)
    assert.deepStrictEqual([none.perZone.size, none.overall.length], [0, 0])
  })
})
