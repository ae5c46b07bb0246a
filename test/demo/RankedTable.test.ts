/** The demo's lines for the best windows under its table. */
import { assert, describe, it } from "@effect/vitest"
import { renderBestWindows } from "../../src/demo/RankedTable.js"
import type { CacheFile } from "../../src/domain/CacheFile.js"

const base: CacheFile = {
  timestamp: "2024-03-06T10:05:00",
  ttl_minutes: 10,
  regions: {},
  sorted_by_carbon: [],
  best_region: "DE",
  worst_region: "DE"
}

describe("the demo's best windows", () => {
  it("shows nothing when the file has no forecast keys", () => {
    assert.deepStrictEqual(renderBestWindows(base), [])
  })

  it("shows one line per length, the date when it is another day, then the zones without a forecast", () => {
    const lines = renderBestWindows({
      ...base,
      best_windows: [
        { minutes: 60, zone: "DE", start: "2024-03-06T14:00:00Z", end: "2024-03-06T15:00:00Z", carbonIntensity: 100 },
        { minutes: 240, zone: "FR", start: "2024-03-07T01:00:00Z", end: "2024-03-07T05:00:00Z", carbonIntensity: 42.25 }
      ],
      forecasts: {},
      unavailable_forecasts: { GB: { reason: "Pending", message: "no forecast fetched yet" } }
    })
    assert.deepStrictEqual(lines, [
      "  best    1 h: DE 14:00Z–15:00Z, 100.0 gCO2eq/kWh forecast",
      "  best    4 h: FR 03-07 01:00Z–03-07 05:00Z, 42.3 gCO2eq/kWh forecast",
      "  no forecast: GB (Pending: no forecast fetched yet)"
    ])
  })
})
