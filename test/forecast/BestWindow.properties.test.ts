/**
 * The window functions against a minute-by-minute reference, on random forecasts: irregular
 * spacing, 15-minute points and hourly points; random lengths and random moments.
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"

import { bestWindow, bestWindowsAcrossZones, forecastEnd, windowValue } from "../../src/forecast/BestWindow.js"
import type { ForecastSeries } from "../../src/forecast/ForecastSeries.js"
import { referenceBest, referenceCandidates, referenceValue } from "./reference.js"
import { at, MINUTE } from "./support.js"

const BASE = at("2024-01-01T00:00:00Z")

/** Integers and halves (exact in binary, as the API's values are), with a tie-prone variant. */
const valueArb = fc.oneof(
  fc.integer({ min: 0, max: 1200 }),
  fc.integer({ min: 0, max: 2400 }).map((halves) => halves / 2),
  fc.constantFrom(100, 200, 300)
)

const spacingArb = fc.oneof(
  fc.constant<"irregular">("irregular"),
  fc.constant<"quarter-hourly">("quarter-hourly"),
  fc.constant<"hourly">("hourly")
).chain((kind) =>
  kind === "irregular"
    ? fc.record({
      gaps: fc.array(fc.integer({ min: 1, max: 180 }), { maxLength: 30 }),
      step: fc.integer({ min: 1, max: 120 })
    })
    : fc.record({
      gaps: fc.array(fc.constant(kind === "hourly" ? 60 : 15), { maxLength: 40 }),
      step: fc.constant(kind === "hourly" ? 60 : 15)
    })
)

/** Whole-minute instants and step, so the reference's minute sums are exact. */
const seriesArb = (values: fc.Arbitrary<number>): fc.Arbitrary<ForecastSeries> =>
  fc.tuple(fc.integer({ min: 0, max: 1440 }), spacingArb).chain(([offset, { gaps, step }]) =>
    fc.array(values, { minLength: gaps.length + 1, maxLength: gaps.length + 1 }).map((intensities) => {
      let instant = BASE + offset * MINUTE
      const points = intensities.map((carbonIntensity, i) => {
        if (i > 0) instant += gaps[i - 1]! * MINUTE
        return { at: instant, carbonIntensity }
      })
      return { points, stepMillis: step * MINUTE }
    })
  )

const spanMinutes = (series: ForecastSeries): number => (forecastEnd(series)! - series.points[0]!.at) / MINUTE

/**
 * A series, a length that mostly fits, and a moment to the millisecond, mostly inside the forecast
 * but also before it begins and after it ends.
 */
const caseArb = (values: fc.Arbitrary<number>) =>
  seriesArb(values).chain((series) =>
    fc.record({
      series: fc.constant(series),
      minutes: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 1, max: spanMinutes(series) }) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: spanMinutes(series) + 30 }) }
      ),
      now: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: series.points[0]!.at, max: forecastEnd(series)! - 1 }) },
        {
          weight: 1,
          arbitrary: fc.integer({ min: series.points[0]!.at - 120 * MINUTE, max: forecastEnd(series)! + 120 * MINUTE })
        }
      )
    })
  )

const closeTo = (actual: number, expected: number): boolean =>
  Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected))

const RUNS = { fastCheck: { numRuns: 300 } }

describe("bestWindow against the minute-by-minute reference", () => {
  it.prop("finds the same best window: same start, same value", [caseArb(valueArb)], ([{ minutes, now, series }]) => {
    const expected = referenceBest(series, minutes, now)
    const actual = bestWindow(series, minutes, now)
    if (expected === undefined) {
      assert.isUndefined(actual)
      return
    }
    assert.isDefined(actual)
    assert.strictEqual(actual!.start, expected.start)
    assert.isTrue(
      closeTo(actual!.carbonIntensity, expected.carbonIntensity),
      `${actual!.carbonIntensity} vs ${expected.carbonIntensity}`
    )
  }, RUNS)

  it.prop("is no worse than any candidate, and strictly better than every earlier one (ties go to the earliest)", [
    caseArb(valueArb)
  ], ([{ minutes, now, series }]) => {
    const best = bestWindow(series, minutes, now)
    for (const candidate of referenceCandidates(series, minutes, now)) {
      const value = windowValue(series, candidate.start, minutes)!
      assert.isAtMost(best!.carbonIntensity, value)
      if (candidate.start < best!.start) assert.isAbove(value, best!.carbonIntensity)
    }
  }, RUNS)

  it.prop("starts at a point's instant, not before the point containing now, and lies wholly inside the forecast", [
    caseArb(valueArb)
  ], ([{ minutes, now, series }]) => {
    const best = bestWindow(series, minutes, now)
    if (best === undefined) return
    const current = Math.max(-Infinity, ...series.points.filter((point) => point.at <= now).map((point) => point.at))
    assert.isTrue(series.points.some((point) => point.at === best.start))
    assert.isAtLeast(best.start, current)
    assert.isAbove(forecastEnd(series)!, now)
    assert.strictEqual(best.end - best.start, minutes * MINUTE)
    assert.isAtMost(best.end, forecastEnd(series)!)
    assert.strictEqual(best.minutes, minutes)
  }, RUNS)

  it.prop("with arbitrary real values, agrees with the reference within 1e-9 relative", [
    caseArb(fc.double({ min: 0, max: 5000, noNaN: true }))
  ], ([{ minutes, now, series }]) => {
    const expected = referenceBest(series, minutes, now)
    const actual = bestWindow(series, minutes, now)
    assert.strictEqual(actual === undefined, expected === undefined)
    if (actual !== undefined && expected !== undefined) {
      assert.isTrue(
        closeTo(actual.carbonIntensity, expected.carbonIntensity),
        `${actual.carbonIntensity} vs ${expected.carbonIntensity}`
      )
    }
  }, RUNS)
})

describe("windowValue against the minute-by-minute reference", () => {
  it.prop(
    "gives the minute-by-minute mean for any whole-minute span, and nothing for one not wholly inside",
    [
      seriesArb(valueArb).chain((series) =>
        fc.record({
          series: fc.constant(series),
          offset: fc.integer({ min: -30, max: spanMinutes(series) + 30 }),
          minutes: fc.integer({ min: 1, max: spanMinutes(series) + 30 })
        })
      )
    ],
    ([{ minutes, offset, series }]) => {
      const start = series.points[0]!.at + offset * MINUTE
      const expected = referenceValue(series, start, minutes)
      const actual = windowValue(series, start, minutes)
      assert.strictEqual(actual === undefined, expected === undefined)
      if (actual !== undefined && expected !== undefined) {
        assert.isTrue(closeTo(actual, expected), `${actual} vs ${expected}`)
      }
    },
    RUNS
  )
})

describe("bestWindowsAcrossZones against the per-zone answers", () => {
  const zonesArb = fc.uniqueArray(fc.constantFrom("A", "B", "DE", "a", "US-CAL-CISO"), { minLength: 1, maxLength: 4 })
    .chain((zones) =>
      fc.record({
        zones: fc.tuple(
          ...zones.map((zone) => seriesArb(fc.constantFrom(100, 200, 300)).map((series) => [zone, series] as const))
        ),
        lengths: fc.uniqueArray(fc.integer({ min: 1, max: 600 }), { minLength: 1, maxLength: 4 }),
        now: fc.integer({ min: BASE - 60 * MINUTE, max: BASE + 48 * 60 * MINUTE })
      })
    )

  it.prop(
    "holds each zone's best window, and per length the lowest, then earliest, then smallest zone key",
    [zonesArb],
    ([{ lengths, now, zones }]) => {
      const result = bestWindowsAcrossZones(zones, lengths, now)
      const expectedOverall = lengths.flatMap((minutes) => {
        const candidates = zones.flatMap(([zone, series]) => {
          const best = bestWindow(series, minutes, now)
          return best === undefined ? [] : [{ ...best, zone }]
        })
        candidates.sort((x, y) =>
          x.carbonIntensity - y.carbonIntensity || x.start - y.start || (x.zone < y.zone ? -1 : x.zone > y.zone ? 1 : 0)
        )
        return candidates.slice(0, 1)
      })
      assert.deepStrictEqual(result.overall, expectedOverall)
      assert.deepStrictEqual(
        [...result.perZone],
        zones.map(([zone, series]) => [zone, lengths.flatMap((minutes) => bestWindow(series, minutes, now) ?? [])])
      )
    },
    RUNS
  )
})
