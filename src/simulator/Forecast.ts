/**
 * The simulated forecast: the same deterministic curve as the latest readings, sampled hourly or
 * every quarter-hour from the slot that contains "now" to the end of the horizon.
 *
 * Pure, like `Intensity.ts`: the caller passes the instant. The forecast is the curve itself, with
 * no forecast error, so its first point matches the latest reading of the same hour.
 */
import { carbonIntensity, type EmissionFactorType, HOUR_MS, MINUTE_MS, unit } from "./Intensity.js"

export type ForecastGranularity = "hourly" | "15_minutes"

export interface ForecastPoint {
  readonly carbonIntensity: number | null
  readonly datetime: string
}

/**
 * The body of `GET /vN/carbon-intensity/forecast`, fields in the recorded order. v4 adds
 * `temporalGranularity`; the recorded v3 answers have none, so the route adds it per version.
 */
export interface ForecastBody {
  readonly zone: string
  readonly forecast: ReadonlyArray<ForecastPoint>
  readonly updatedAt: string
  readonly temporalGranularity?: ForecastGranularity
}

export const MIN_HORIZON_HOURS = 1
export const MAX_HORIZON_HOURS = 72
export const DEFAULT_HORIZON_HOURS = 24

export const slotMs = (granularity: ForecastGranularity): number => granularity === "hourly" ? HOUR_MS : 15 * MINUTE_MS

export const slotStart = (nowMs: number, granularity: ForecastGranularity): number =>
  Math.floor(nowMs / slotMs(granularity)) * slotMs(granularity)

/**
 * The forecast at `nowMs`: `horizonHours` worth of slots from the current one. `updatedAt` falls
 * an eighth to a quarter of a slot before the first point, as in the recorded answer (8 minutes
 * before an hourly forecast's first point).
 */
export const forecastReading = (
  seed: string,
  zone: string,
  nowMs: number,
  horizonHours: number,
  granularity: ForecastGranularity,
  factorType: EmissionFactorType
): ForecastBody => {
  const step = slotMs(granularity)
  const first = slotStart(nowMs, granularity)
  const count = Math.round((horizonHours * HOUR_MS) / step)
  const forecast = Array.from({ length: count }, (_, i): ForecastPoint => {
    const at = first + i * step
    return { carbonIntensity: carbonIntensity(seed, zone, at, factorType), datetime: new Date(at).toISOString() }
  })
  const lead = Math.round(step * (0.125 + 0.125 * unit(seed, zone, "forecast-updated", first)))
  return { zone, forecast, updatedAt: new Date(first - lead).toISOString() }
}
