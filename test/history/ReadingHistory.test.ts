import { assert, describe, it } from "@effect/vitest"
import type { CacheEntry } from "../../src/domain/CacheFile.js"
import { formatCacheTimestamp } from "../../src/domain/Time.js"
import {
  emptyHistory,
  firstExpiry,
  HISTORY_WINDOW_MILLIS,
  MAX_POINTS_PER_ZONE,
  prune,
  record
} from "../../src/history/ReadingHistory.js"

const HOUR = 3_600_000
const T0 = Date.UTC(2024, 2, 6, 0, 0, 0)

/** An entry for `zone` at the hour `hours` after T0, fetched `fetchedAfter` ms after that hour. */
const entry = (zone: string, hours: number, carbonIntensity: number, fetchedAfter = 5 * 60_000): CacheEntry => ({
  zone,
  carbonIntensity,
  datetime: new Date(T0 + hours * HOUR).toISOString(),
  updatedAt: new Date(T0 + hours * HOUR).toISOString(),
  emissionFactorType: "lifecycle",
  isEstimated: true,
  estimationMethod: "TIME_SLICER_AVERAGE",
  timestamp: formatCacheTimestamp(T0 + hours * HOUR + fetchedAfter)
})

const valuesOf = (history: ReturnType<typeof record>, zone: string) =>
  (history.get(zone) ?? []).map((point) => [point.entry.datetime, point.entry.carbonIntensity])

describe("the reading history", () => {
  it("keeps one point per reading datetime, the later fetch replacing the earlier (a revised value)", () => {
    const first = record(emptyHistory, { DE: entry("DE", 1, 400) }, T0 + HOUR + 5 * 60_000)
    // The same hour written without a fraction is the same instant, so the same point.
    const revised = { ...entry("DE", 1, 380, 20 * 60_000), datetime: "2024-03-06T01:00:00Z" }
    const second = record(first, { DE: revised }, T0 + HOUR + 20 * 60_000)
    assert.deepStrictEqual(valuesOf(second, "DE"), [["2024-03-06T01:00:00Z", 380]])
  })

  it("never lets a late write of an older fetch replace a newer one", () => {
    const newer = record(emptyHistory, { DE: entry("DE", 1, 380, 20 * 60_000) }, T0 + 2 * HOUR)
    const late = record(newer, { DE: entry("DE", 1, 400, 5 * 60_000) }, T0 + 2 * HOUR)
    assert.deepStrictEqual(valuesOf(late, "DE"), [["2024-03-06T01:00:00.000Z", 380]])
  })

  it("lists points oldest first whatever order they were written in, per zone", () => {
    let history = record(emptyHistory, { DE: entry("DE", 3, 300), FR: entry("FR", 3, 50) }, T0 + 4 * HOUR)
    history = record(history, { DE: entry("DE", 1, 100) }, T0 + 4 * HOUR)
    history = record(history, { DE: entry("DE", 2, 200) }, T0 + 4 * HOUR)
    assert.deepStrictEqual(valuesOf(history, "DE").map(([, value]) => value), [100, 200, 300])
    assert.deepStrictEqual(valuesOf(history, "FR").map(([, value]) => value), [50])
  })

  it("drops points whose datetime is 24 hours old or more, and zones left without any", () => {
    const history = record(emptyHistory, { DE: entry("DE", 0, 100), FR: entry("FR", 0, 50) }, T0 + HOUR)
    const later = record(history, { DE: entry("DE", 23, 230) }, T0 + 23 * HOUR)
    assert.strictEqual(valuesOf(later, "DE").length, 2)
    assert.strictEqual(firstExpiry(later), T0 + HISTORY_WINDOW_MILLIS)
    const pruned = prune(later, T0 + HISTORY_WINDOW_MILLIS)
    assert.deepStrictEqual(valuesOf(pruned, "DE").map(([, value]) => value), [230])
    assert.isFalse(pruned.has("FR"))
    assert.strictEqual(firstExpiry(pruned), T0 + 23 * HOUR + HISTORY_WINDOW_MILLIS)
    assert.isUndefined(firstExpiry(emptyHistory))
  })

  it("keeps at most a day of five-minute points per zone, the newest", () => {
    let history = emptyHistory
    const FIVE_MINUTES = 5 * 60_000
    for (let i = 0; i < MAX_POINTS_PER_ZONE + 10; i++) {
      const at = T0 + i * FIVE_MINUTES
      const point: CacheEntry = {
        ...entry("watttime:CAISO_NORTH", 0, i),
        datetime: new Date(at).toISOString(),
        timestamp: formatCacheTimestamp(at)
      }
      // Seen from just after the first point, so none is old enough to leave by age.
      history = record(history, { "watttime:CAISO_NORTH": point }, T0 + FIVE_MINUTES)
    }
    const values = valuesOf(history, "watttime:CAISO_NORTH").map(([, value]) => value)
    assert.strictEqual(values.length, MAX_POINTS_PER_ZONE)
    assert.strictEqual(values[0], 10)
    assert.strictEqual(values.at(-1), MAX_POINTS_PER_ZONE + 9)
  })
})
