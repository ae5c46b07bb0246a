/**
 * The simulated grid: a deterministic carbon intensity per zone and hour (or quarter-hour).
 *
 * Pure functions of (seed, zone, time): the same seed at the same instant gives the same numbers,
 * on any machine and in any process, so tests, the demo and the benchmark can compare runs.
 * No clock here; the caller passes the instant.
 */

export type EmissionFactorType = "lifecycle" | "direct"

/** The body of `GET /v4/carbon-intensity/latest` (and v3's), fields in the order the real API sends them. */
export interface LatestBody {
  readonly zone: string
  readonly carbonIntensity: number | null
  readonly datetime: string
  readonly updatedAt: string
  readonly createdAt: string
  readonly emissionFactorType: EmissionFactorType
  readonly isEstimated: boolean
  readonly estimationMethod: string | null
  readonly temporalGranularity: "hourly"
}

export const HOUR_MS = 3_600_000
export const MINUTE_MS = 60_000
const DAY_MS = 24 * HOUR_MS

/**
 * FNV-1a with a murmur3 finaliser: tiny, stable across platforms, and well spread even for keys
 * that differ in one character (`SE-SE1` vs `SE-SE2`).
 */
const hash32 = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A number in [0, 1) fixed by the seed and the parts. */
export const unit = (seed: string, ...parts: ReadonlyArray<string | number>): number =>
  hash32([seed, ...parts].join("|")) / 0x1_0000_0000

// Hydro- and nuclear-dominated grids, so rankings look like the real world's.
const LOW_CARBON_FAMILIES: ReadonlyArray<string> = ["SE", "NO"]
const LOW_CARBON_ZONES: ReadonlySet<string> = new Set([
  "FR",
  "CA-QC",
  "CA-BC",
  "CA-MB",
  "CA-ON",
  "IS",
  "CH",
  "PY",
  "UY"
])

export const isLowCarbon = (zone: string): boolean =>
  LOW_CARBON_ZONES.has(zone) ||
  LOW_CARBON_FAMILIES.some((family) => zone === family || zone.startsWith(`${family}-`))

/**
 * Typical lifecycle intensities (gCO2eq/kWh, rounded) of zones people configure most, so the
 * demo's ranking looks like the real one: New York below Texas, France below Poland.
 */
const TYPICAL: Readonly<Record<string, number>> = {
  "US-CAL-CISO": 230,
  "US-TEX-ERCO": 390,
  "US-NY-NYIS": 260,
  "US-MIDA-PJM": 380,
  "US-MIDW-MISO": 470,
  "US-CAR-DUK": 300,
  "US-NW-BPAT": 110,
  "DE": 380,
  "FR": 50,
  "GB": 220,
  "PL": 680,
  "ES": 150,
  "NL": 330,
  "BE": 160,
  "AT": 130,
  "IT-NO": 330,
  "DK-DK1": 150,
  "IE": 320,
  "IN-WE": 700,
  "AU-NSW": 650,
  "ZA": 700,
  "JP-TK": 480,
  "BR-CS": 100
}

/**
 * The zone's average lifecycle intensity, gCO2eq/kWh: the typical value ±10% where one is known,
 * else 20..120 for low-carbon grids and 120..800 for the rest.
 */
export const baseIntensity = (seed: string, zone: string): number => {
  const u = unit(seed, zone, "base")
  const typical = TYPICAL[zone]
  if (typical !== undefined) return typical * (0.9 + 0.2 * u)
  return isLowCarbon(zone) ? 20 + u * 100 : 120 + u * 680
}

/**
 * Lifecycle intensity for the slot starting at `slotStartMs` (an hour, or a quarter-hour for
 * forecasts): the base, swung ±25% by a daily sine whose peak hour depends on the zone (grids peak
 * at different UTC hours), plus ±3% noise drawn once per hour. The sine reads the fractional hour,
 * so quarter-hours move smoothly, and a whole hour gives the same value whichever route asks.
 */
export const lifecycleIntensity = (seed: string, zone: string, slotStartMs: number): number =>
  onDailyCurve(seed, zone, slotStartMs, baseIntensity(seed, zone))

/** `base` swung by the zone's daily curve and hourly noise at `slotStartMs` (see `lifecycleIntensity`). */
export const onDailyCurve = (seed: string, zone: string, slotStartMs: number, base: number): number => {
  const hours = slotStartMs / HOUR_MS
  const hourIndex = Math.floor(hours)
  const hourOfDay = ((hours % 24) + 24) % 24
  const peakHour = unit(seed, zone, "peak") * 24
  const swing = 0.25 * Math.cos((2 * Math.PI * (hourOfDay - peakHour)) / 24)
  const noise = (unit(seed, zone, "noise", hourIndex) - 0.5) * 0.06
  return Math.max(1, Math.round(base * (1 + swing + noise)))
}

/** Direct emissions leave out the supply chain: much lower for low-carbon grids, a bit lower elsewhere. */
export const carbonIntensity = (
  seed: string,
  zone: string,
  slotStartMs: number,
  factorType: EmissionFactorType
): number => {
  const lifecycle = lifecycleIntensity(seed, zone, slotStartMs)
  if (factorType === "lifecycle") return lifecycle
  return Math.max(0, Math.round(lifecycle * (isLowCarbon(zone) ? 0.3 : 0.88)))
}

export const hourStart = (nowMs: number): number => Math.floor(nowMs / HOUR_MS) * HOUR_MS

/**
 * The latest reading at `nowMs`. Like the recorded answers, `datetime` is the current hour,
 * `updatedAt` a few minutes before it and `createdAt` about three days earlier; most current hours
 * are estimates (`TIME_SLICER_AVERAGE`), about one in four is measured (`estimationMethod: null`).
 */
export const latestReading = (
  seed: string,
  zone: string,
  nowMs: number,
  factorType: EmissionFactorType
): LatestBody => {
  const start = hourStart(nowMs)
  const hourIndex = start / HOUR_MS
  const updatedAt = start - Math.round((8 + unit(seed, zone, "updated", hourIndex) * 8) * MINUTE_MS)
  const createdAt = start - 3 * DAY_MS + Math.round((45 + unit(seed, zone, "created", hourIndex) * 5) * MINUTE_MS)
  const isEstimated = unit(seed, zone, "measured", hourIndex) >= 0.25
  return {
    zone,
    carbonIntensity: carbonIntensity(seed, zone, start, factorType),
    datetime: new Date(start).toISOString(),
    updatedAt: new Date(updatedAt).toISOString(),
    createdAt: new Date(createdAt).toISOString(),
    emissionFactorType: factorType,
    isEstimated,
    estimationMethod: isEstimated ? "TIME_SLICER_AVERAGE" : null,
    temporalGranularity: "hourly"
  }
}
