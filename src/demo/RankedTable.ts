/**
 * The demo's view of a poll: the ranked zones as a table a person reads at a glance, marking
 * values kept from an earlier poll (last-known-good) and the zones that are missing.
 */
import { Option } from "effect"
import type { CacheFile } from "../domain/CacheFile.js"
import type { PollSummary } from "../poll/PollSummary.js"

const pad = (text: string, width: number) => text.padEnd(width)
const padLeft = (text: string, width: number) => text.padStart(width)

export const renderPoll = (
  pollNumber: number,
  summary: PollSummary,
  cache: CacheFile | undefined,
  cacheFile: string
): string => {
  const header =
    `poll ${pollNumber}: ${summary.fresh.length} zone(s) fresh, ${summary.failures.length} failed, ${summary.durationMillis} ms`
  if (cache === undefined) {
    return `${header}\n  nothing usable: ${cacheFile} left as it was\n`
  }
  const written = Option.isSome(summary.written) ? `wrote ${cacheFile}` : `write FAILED, ${cacheFile} left as it was`
  // Fresh means fetched by this poll: comparing timestamps would call a value kept whenever a poll
  // crosses a second boundary.
  const freshZones = new Set(summary.fresh.map((reading) => reading.zone))
  const zoneWidth = Math.max(4, ...cache.sorted_by_carbon.map((zone) => zone.length))
  const rows = cache.sorted_by_carbon.map((zone, index) => {
    const entry = cache.regions[zone]!
    const kept = freshZones.has(zone) ? "fresh" : `kept from ${entry.timestamp.slice(11)}`
    const source = cache.sources?.[zone]
    const from = source === undefined ? "" : `, from ${source.provider}${source.fallback ? " (fallback)" : ""}`
    return `  ${padLeft(String(index + 1), 4)}  ${pad(zone, zoneWidth)}  ${
      padLeft(entry.carbonIntensity.toFixed(0), 10)
    }  ${pad(entry.isEstimated ? "yes" : "no", 9)}  ${kept}${from}`
  })
  const missing = Object.entries(cache.unavailable ?? {}).map(([zone, why]) =>
    `  missing: ${zone} (${why.reason}: ${why.message})`
  )
  return [
    `${header}; ${written}, valid until ${cache.expires_at ?? "?"}`,
    `  ${padLeft("rank", 4)}  ${pad("zone", zoneWidth)}  ${padLeft("gCO2eq/kWh", 10)}  ${pad("estimated", 9)}  value`,
    ...rows,
    ...missing,
    ...renderBestWindows(cache),
    ""
  ].join("\n")
}

const hoursAndMinutes = (minutes: number): string =>
  minutes % 60 === 0
    ? `${minutes / 60} h`
    : minutes > 60
    ? `${Math.floor(minutes / 60)} h ${minutes % 60} min`
    : `${minutes} min`

/** `HH:MM` of an RFC 3339 UTC instant, with the date when it is not the file's day. */
const shortTime = (instant: string, fileDay: string): string =>
  instant.slice(0, 10) === fileDay ? `${instant.slice(11, 16)}Z` : `${instant.slice(5, 10)} ${instant.slice(11, 16)}Z`

/**
 * The best time windows under the table, when forecasts are on: one line per length, then the
 * zones without a usable forecast. Nothing at all when the file has no forecast keys.
 */
export const renderBestWindows = (cache: CacheFile): ReadonlyArray<string> => {
  if (cache.best_windows === undefined) return []
  const day = cache.timestamp.slice(0, 10)
  const windows = cache.best_windows.map((window) =>
    `  best ${hoursAndMinutes(window.minutes).padStart(6)}: ${window.zone} ${shortTime(window.start, day)}–${
      shortTime(window.end, day)
    }, ${window.carbonIntensity.toFixed(1)} gCO2eq/kWh forecast`
  )
  const unavailable = Object.entries(cache.unavailable_forecasts ?? {}).map(([zone, why]) =>
    `  no forecast: ${zone} (${why.reason}: ${why.message})`
  )
  const none = windows.length === 0 && unavailable.length === 0
    ? ["  best windows: none (no zone's forecast is long enough)"]
    : []
  return [...windows, ...none, ...unavailable]
}
