/**
 * The simulated UK values: half-hour periods on the same deterministic daily curve as the
 * Electricity Maps zones (src/simulator/Intensity.ts), each zone around its own typical value.
 * Pure: the caller passes the instants.
 *
 * National periods that have begun carry a measured `actual` (the forecast off by up to ±5%),
 * later ones `actual: null`; regional periods are forecasts only and carry a generation mix.
 */
import { MINUTE_MS, onDailyCurve, unit } from "../Intensity.js"
import { NATIONAL_TYPICAL, REGIONS } from "./Regions.js"

export const HALF_HOUR_MS = 30 * MINUTE_MS

/** `national` or a region id 1 … 17. */
export type UkZone = "national" | number

export const halfHourStart = (ms: number): number => Math.floor(ms / HALF_HOUR_MS) * HALF_HOUR_MS

/** `YYYY-MM-DDThh:mmZ`, the API's layout: no seconds. */
export const apiTime = (ms: number): string => `${new Date(ms).toISOString().slice(0, 16)}Z`

const keyOf = (zone: UkZone): string => `ukci:${zone}`

const typicalOf = (zone: UkZone): number =>
  zone === "national" ? NATIONAL_TYPICAL : (REGIONS[zone - 1]?.typical ?? NATIONAL_TYPICAL)

export const forecastValue = (seed: string, zone: UkZone, from: number): number =>
  onDailyCurve(seed, keyOf(zone), from, typicalOf(zone) * (0.9 + 0.2 * unit(seed, keyOf(zone), "base")))

const actualValue = (seed: string, zone: UkZone, from: number): number =>
  Math.round(forecastValue(seed, zone, from) * (1 + (unit(seed, keyOf(zone), "actual", from) - 0.5) * 0.1))

/**
 * Upper bounds of `very low`, `low`, `moderate` and `high` (above: `very high`) by year, Table 2
 * of the API's forecast methodology; years outside the table use its nearest year.
 */
const INDEX_BANDS: Readonly<Record<number, readonly [number, number, number, number]>> = {
  2024: [34, 109, 189, 270],
  2025: [29, 99, 179, 250],
  2026: [24, 89, 169, 230],
  2027: [19, 79, 159, 210]
}
const INDEX_NAMES = ["very low", "low", "moderate", "high", "very high"] as const

export const indexOf = (value: number, at: number): string => {
  const year = Math.min(2027, Math.max(2024, new Date(at).getUTCFullYear()))
  const bands = INDEX_BANDS[year] ?? INDEX_BANDS[2024]!
  const band = bands.findIndex((upper) => value <= upper)
  return INDEX_NAMES[band === -1 ? 4 : band]!
}

/** Each fuel's usual share of GB generation, in percent; a period draws half to one and a half times it. */
const FUEL_SHARES = [
  ["biomass", 5],
  ["coal", 1],
  ["imports", 10],
  ["gas", 35],
  ["nuclear", 15],
  ["other", 1],
  ["hydro", 2],
  ["solar", 8],
  ["wind", 23]
] as const

const generationMix = (seed: string, zone: UkZone, from: number) => {
  const weights = FUEL_SHARES.map(([fuel, share]) => share * (0.5 + unit(seed, keyOf(zone), fuel, from)))
  const total = weights.reduce((a, b) => a + b, 0)
  return FUEL_SHARES.map(([fuel], i) => ({ fuel, perc: Math.round((weights[i]! / total) * 1000) / 10 }))
}

/**
 * One half-hour before it is written: faults edit these fields (a value may become a raw JSON
 * token written verbatim), then `toWire` gives the API's layout.
 */
export interface ModelPeriod {
  readonly from: number
  readonly forecast: number | null | RawToken
  /** Absent on regional periods. */
  readonly actual?: number | null | RawToken
  readonly index: string
  readonly generationmix?: ReadonlyArray<{ readonly fuel: string; readonly perc: number }>
}

/** A JSON token to write as is, e.g. `1e400`. */
export interface RawToken {
  readonly raw: string
}

export const period = (seed: string, zone: UkZone, from: number, nowMs: number): ModelPeriod => {
  const forecast = forecastValue(seed, zone, from)
  const base = { from, forecast, index: indexOf(forecast, from) }
  return zone === "national"
    ? { ...base, actual: from <= nowMs ? actualValue(seed, zone, from) : null }
    : { ...base, generationmix: generationMix(seed, zone, from) }
}

/**
 * The periods of a forward window (`fw24h`, `fw48h`) from `from`: those whose end lies in
 * [from, from + hours], so a `from` on a boundary starts with the period that just ended.
 */
export const forwardPeriods = (
  seed: string,
  zone: UkZone,
  from: number,
  hours: number,
  nowMs: number
): ReadonlyArray<ModelPeriod> => {
  const first = Math.ceil(from / HALF_HOUR_MS) * HALF_HOUR_MS - HALF_HOUR_MS
  const lastEnd = Math.floor((from + hours * 60 * MINUTE_MS) / HALF_HOUR_MS) * HALF_HOUR_MS
  const count = Math.max(0, (lastEnd - first) / HALF_HOUR_MS)
  return Array.from({ length: count }, (_, i) => period(seed, zone, first + i * HALF_HOUR_MS, nowMs))
}
