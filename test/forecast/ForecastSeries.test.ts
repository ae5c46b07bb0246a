import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"

import { granularityMinutes } from "../../src/domain/Granularity.js"
import { parseRfc3339Instant } from "../../src/domain/Time.js"
import {
  type ForecastInput,
  type ForecastRefusalReason,
  mostCommonSpacing,
  type RawForecastPoint,
  toForecastSeries
} from "../../src/forecast/ForecastSeries.js"
import { at, HOUR, MINUTE, recordedForecast } from "./support.js"

const points = (...pairs: ReadonlyArray<readonly [string, number | null]>): ReadonlyArray<RawForecastPoint> =>
  pairs.map(([datetime, carbonIntensity]) => ({ datetime, carbonIntensity }))

const input = (raw: ReadonlyArray<RawForecastPoint>, extra: Partial<ForecastInput> = {}): ForecastInput => ({
  asked: "DE",
  zone: "DE",
  points: raw,
  ...extra
})

const refusalReason = (forecast: ForecastInput): ForecastRefusalReason | undefined =>
  Either.match(toForecastSeries(forecast), { onLeft: (refusal) => refusal.reason, onRight: () => undefined })

const accepted = (forecast: ForecastInput) =>
  Either.getOrThrowWith(toForecastSeries(forecast), (refusal) => new Error(`refused: ${refusal.message}`))

const good = points(["2024-01-01T12:00:00Z", 300], ["2024-01-01T13:00:00Z", 200])

describe("toForecastSeries accepts", () => {
  it("the recorded DE forecast: 48 ascending hourly points, the last covering an hour", () => {
    const body = recordedForecast("forecast.DE.json")
    const series = accepted(input(body.forecast))
    assert.strictEqual(series.points.length, 48)
    assert.deepStrictEqual(series.points[0], { at: at("2023-05-02T20:00:00Z"), carbonIntensity: 557 })
    assert.deepStrictEqual(series.points[47], { at: at("2023-05-04T19:00:00Z"), carbonIntensity: 590 })
    assert.strictEqual(series.stepMillis, HOUR)
  })

  it("values at both ends of 0..5000 and with decimals", () => {
    const series = accepted(
      input(points(["2024-01-01T12:00:00Z", 0], ["2024-01-01T13:00:00Z", 5000], ["2024-01-01T14:00:00Z", 250.5]))
    )
    assert.deepStrictEqual(series.points.map((point) => point.carbonIntensity), [0, 5000, 250.5])
  })

  it("sorts points sent out of order (each carries its own instant, so the order adds nothing)", () => {
    const series = accepted(
      input(points(["2024-01-01T14:00:00Z", 1], ["2024-01-01T12:00:00Z", 3], ["2024-01-01T13:00:00+00:00", 2]))
    )
    assert.deepStrictEqual(series.points.map((point) => point.carbonIntensity), [3, 2, 1])
  })

  it.prop(
    "any order of the same points gives the same series",
    [fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 30 }), fc.integer()],
    ([slots, seed]) => {
      const raw = slots.map((slot) => ({
        datetime: new Date(at("2024-01-01T00:00:00Z") + slot * 15 * MINUTE).toISOString(),
        carbonIntensity: slot
      }))
      const shuffled = [...raw].sort((a, b) =>
        ((a.carbonIntensity * 7919 + seed) % 101) - ((b.carbonIntensity * 7919 + seed) % 101)
      )
      const series = accepted(input(shuffled))
      assert.deepStrictEqual(series, accepted(input([...raw].sort((a, b) => a.carbonIntensity - b.carbonIntensity))))
      assert.isTrue(series.points.every((point, i) => i === 0 || series.points[i - 1]!.at < point.at))
    }
  )
})

describe("toForecastSeries: what the last point covers", () => {
  const quarterHours = points(["2024-01-01T12:00:00Z", 1], ["2024-01-01T12:15:00Z", 2], ["2024-01-01T12:30:00Z", 3])

  it("follows temporalGranularity when sent: hourly, 15_minutes, 5_minutes, 30_minutes, daily", () => {
    const steps = ["hourly", "15_minutes", "5_minutes", "30_minutes", "daily"].map((temporalGranularity) =>
      accepted(input(quarterHours, { temporalGranularity })).stepMillis / MINUTE
    )
    assert.deepStrictEqual(steps, [60, 15, 5, 30, 1440])
  })

  it("falls back to the most common spacing when the granularity is absent, null or unknown", () => {
    for (const temporalGranularity of [undefined, null, "fortnightly", "0_minutes", "Hourly"]) {
      assert.strictEqual(
        accepted(input(quarterHours, { temporalGranularity })).stepMillis,
        15 * MINUTE,
        String(temporalGranularity)
      )
    }
  })

  it("takes the most common spacing, not the first one", () => {
    const mostlyHourly = points(["2024-01-01T12:00:00Z", 1], ["2024-01-01T12:15:00Z", 2], ["2024-01-01T13:15:00Z", 3], [
      "2024-01-01T14:15:00Z",
      4
    ])
    assert.strictEqual(accepted(input(mostlyHourly)).stepMillis, HOUR)
  })

  it("takes the shorter spacing when two are equally common", () => {
    assert.strictEqual(mostCommonSpacing([0, 60, 65]), 5)
    assert.strictEqual(mostCommonSpacing([0, 5, 65]), 5)
    assert.isUndefined(mostCommonSpacing([0]))
  })

  it("assumes an hour for a single point without a granularity", () => {
    assert.strictEqual(accepted(input(points(["2024-01-01T12:00:00Z", 1]))).stepMillis, HOUR)
    assert.strictEqual(
      accepted(input(points(["2024-01-01T12:00:00Z", 1]), { temporalGranularity: "5_minutes" })).stepMillis,
      5 * MINUTE
    )
  })

  it("knows the granularity names", () => {
    assert.deepStrictEqual(
      ["hourly", "daily", "5_minutes", "15_minutes", "30_minutes", "minutes", "05_minutes", "-5_minutes", "monthly"]
        .map(granularityMinutes),
      [60, 1440, 5, 15, 30, undefined, undefined, undefined, undefined]
    )
  })
})

describe("toForecastSeries refuses", () => {
  it("WrongZone: a forecast for another zone than the one asked for (keys are case-sensitive)", () => {
    assert.strictEqual(refusalReason(input(good, { zone: "FR" })), "WrongZone")
    assert.strictEqual(refusalReason(input(good, { zone: "de" })), "WrongZone")
    const refusal = toForecastSeries(input(good, { zone: "FR" }))
    assert.isTrue(
      Either.isLeft(refusal) && refusal.left.message.includes("\"FR\"") && refusal.left.message.includes("\"DE\"")
    )
  })

  it("Empty: no points", () => {
    assert.strictEqual(refusalReason(input([])), "Empty")
  })

  it("MissingValue: a null carbonIntensity anywhere, rather than letting a neighbour stand in for it", () => {
    assert.strictEqual(
      refusalReason(input(points(["2024-01-01T12:00:00Z", 1], ["2024-01-01T13:00:00Z", null]))),
      "MissingValue"
    )
  })

  it("ImpossibleValue: negative, above 5000, Infinity (a JSON 1e400) or NaN", () => {
    const fromJson: unknown = JSON.parse("1e400")
    assert.strictEqual(fromJson, Number.POSITIVE_INFINITY)
    for (const value of [-1, -0.001, 5000.001, 6000, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]) {
      assert.strictEqual(
        refusalReason(input(points(["2024-01-01T12:00:00Z", 100], ["2024-01-01T13:00:00Z", value]))),
        "ImpossibleValue",
        String(value)
      )
    }
  })

  it("BadDatetime: words, a date without time, a time without offset, impossible fields", () => {
    for (
      const datetime of [
        "yesterday",
        "2024-01-01",
        "2024-01-01T12:00:00",
        "2024-01-01T12:00Z",
        "2024-02-30T12:00:00Z",
        "2024-01-01T24:00:00Z",
        ""
      ]
    ) {
      assert.strictEqual(
        refusalReason(input(points(["2024-01-01T11:00:00Z", 1], [datetime, 2]))),
        "BadDatetime",
        datetime
      )
    }
  })

  it("DuplicateDatetime: two points for one instant, even written with different offsets", () => {
    assert.strictEqual(
      refusalReason(input(points(["2024-01-01T12:00:00Z", 1], ["2024-01-01T12:00:00Z", 1]))),
      "DuplicateDatetime"
    )
    assert.strictEqual(
      refusalReason(input(points(["2024-01-01T12:00:00Z", 1], ["2024-01-01T13:00:00+01:00", 2]))),
      "DuplicateDatetime"
    )
  })

  it("names the offending point in the message", () => {
    const refusal = toForecastSeries(input(points(["2024-01-01T12:00:00Z", 1], ["2024-01-01T13:00:00Z", 6000])))
    assert.isTrue(Either.isLeft(refusal))
    if (Either.isLeft(refusal)) {
      assert.include(refusal.left.message, "point 1")
      assert.include(refusal.left.message, "6000")
      assert.include(refusal.left.message, "0..5000")
    }
  })
})

describe("parseRfc3339Instant", () => {
  it("reads Z, lower-case z, offsets and fractions as one instant", () => {
    const noon = Date.UTC(2024, 0, 1, 12)
    assert.deepStrictEqual(
      [
        "2024-01-01T12:00:00Z",
        "2024-01-01t12:00:00z",
        "2024-01-01T12:00:00.000Z",
        "2024-01-01T14:00:00+02:00",
        "2024-01-01T06:30:00-05:30",
        "2024-01-01T12:00:00-00:00"
      ].map(parseRfc3339Instant),
      [noon, noon, noon, noon, noon, noon]
    )
    assert.strictEqual(parseRfc3339Instant("2024-01-01T12:00:00.1239Z"), noon + 123)
    assert.strictEqual(parseRfc3339Instant("2024-02-29T00:00:00Z"), Date.UTC(2024, 1, 29))
    assert.strictEqual(parseRfc3339Instant("0050-01-01T00:00:00Z"), Date.parse("0050-01-01T00:00:00Z"))
  })

  it("refuses what is not a full instant", () => {
    for (
      const text of [
        "yesterday",
        "2024-01-01",
        "2024-01-01Z",
        "2024-01-01T12:00:00",
        "2024-01-01 12:00:00Z",
        "2024-01-01T12:00Z",
        "2023-02-29T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-00-10T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2024-01-01T12:60:00Z",
        "2024-01-01T12:00:60Z",
        "2024-01-01T12:00:00+24:00",
        "2024-01-01T12:00:00+0200",
        "2024-01-01T12:00:00.Z",
        " 2024-01-01T12:00:00Z",
        "2024-01-01T12:00:00Z\n",
        "+02024-01-01T12:00:00Z"
      ]
    ) {
      assert.isUndefined(parseRfc3339Instant(text), JSON.stringify(text))
    }
  })

  it.prop("agrees with Date for every ISO string Date writes", [
    fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true })
  ], ([date]) => {
    assert.strictEqual(parseRfc3339Instant(date.toISOString()), date.getTime())
  })
})
