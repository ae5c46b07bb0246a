/**
 * `GET /carbon-intensity/history`: the last 24 hourly readings, oldest first, each the very body
 * `latest` answered (or would have answered) in its hour, so a client comparing the two routes
 * sees the same values, as it would against the real API.
 */
import { HOUR_MS, hourStart, type LatestBody, latestReading } from "./Intensity.js"
import type { EmissionFactorType } from "./Intensity.js"

export const HISTORY_HOURS = 24

export interface HistoryBody {
  readonly zone: string
  readonly history: ReadonlyArray<LatestBody>
}

export const historyReading = (
  seed: string,
  zone: string,
  nowMs: number,
  factorType: EmissionFactorType
): HistoryBody => {
  const current = hourStart(nowMs)
  return {
    zone,
    history: Array.from(
      { length: HISTORY_HOURS },
      (_, i) => latestReading(seed, zone, current - (HISTORY_HOURS - 1 - i) * HOUR_MS, factorType)
    )
  }
}
