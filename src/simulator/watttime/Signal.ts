/**
 * The simulated WattTime account and its data: a few real region codes, the plan, and `co2_moer`
 * in lbs/MWh every 5 minutes. Pure, like `Intensity.ts`: the caller passes the instant, and the
 * same seed and instant give the same numbers in any process.
 */
import type { BodyFault } from "../BodyFaults.js"
import { lifecycleIntensity, MINUTE_MS, unit } from "../Intensity.js"

/** Region codes as WattTime writes them (from the recorded bodies and WattTime's documentation). */
export const REGION_CODES = ["CAISO_NORTH", "PSCO", "PJM_NJ", "ISONE_WCMA"] as const
export type RegionCode = typeof REGION_CODES[number]

export const REGIONS: Readonly<Record<RegionCode, { readonly name: string; readonly parent: string }>> = {
  CAISO_NORTH: { name: "California ISO Northern", parent: "CAISO" },
  PSCO: { name: "Public Service Co of Colorado", parent: "PSCO" },
  PJM_NJ: { name: "PJM New Jersey", parent: "PJM" },
  ISONE_WCMA: { name: "ISONE Western/Central Massachusetts", parent: "ISONE" }
}

/** The default plan: every region but ISONE_WCMA, which answers 403 "Invalid scope". */
export const DEFAULT_PLAN: ReadonlyArray<RegionCode> = ["CAISO_NORTH", "PSCO", "PJM_NJ"]
export const DEFAULT_USERNAME = "sim-user"
export const DEFAULT_PASSWORD = "sim-password"

export const isRegionCode = (region: string): region is RegionCode => REGION_CODES.some((code) => code === region)

/** WattTime's tokens expire after 30 minutes. */
export const TOKEN_LIFETIME_MS = 30 * MINUTE_MS
export const POINT_MS = 5 * MINUTE_MS
export const MAX_HORIZON_HOURS = 72
export const DEFAULT_HORIZON_HOURS = 24

const LBS_PER_MWH_PER_GRAMS_PER_KWH = 1 / 0.45359237

/** WattTime's time layout, e.g. `2022-07-15T00:05:00+00:00`. */
const wattTimeTime = (epochMillis: number): string => new Date(epochMillis).toISOString().replace(".000Z", "+00:00")

/**
 * The marginal rate of a region for the 5-minute period starting at `atMs`, in whole lbs/MWh: the
 * simulator's daily curve for the key `watttime:REGION`, converted, so a client that converts back
 * (× 0.45359237) gets about the curve's g/kWh.
 */
export const moerLbs = (seed: string, region: string, atMs: number): number =>
  Math.round(lifecycleIntensity(seed, `watttime:${region}`, atMs) * LBS_PER_MWH_PER_GRAMS_PER_KWH)

/**
 * The `/v3/forecast` body at `nowMs`: points every 5 minutes from the period containing now, one
 * for `horizonHours` 0, else 12 per hour; `meta` as in the recorded forecast, generated at the
 * first point.
 */
export const signalBody = (seed: string, region: string, nowMs: number, horizonHours: number) => {
  const first = Math.floor(nowMs / POINT_MS) * POINT_MS
  const count = horizonHours === 0 ? 1 : horizonHours * 12
  return {
    data: Array.from({ length: count }, (_, i) => {
      const at = first + i * POINT_MS
      return { point_time: wattTimeTime(at), value: moerLbs(seed, region, at) }
    }),
    meta: {
      data_point_period_seconds: 300,
      region,
      warnings: [],
      signal_type: "co2_moer",
      model: { date: "2023-03-01" },
      units: "lbs_co2_per_mwh",
      generated_at_period_seconds: 300,
      generated_at: wattTimeTime(first)
    }
  }
}

export type SignalBody = ReturnType<typeof signalBody>

/**
 * A `/v3/forecast` body under a fault that keeps the 200: `{}` (empty-200); the current point
 * without a value (null-intensity: the current period is missing); every time moved by
 * `offsetMinutes` (datetime: a stale period when negative, one from the future when positive).
 */
export const shapeSignal = (body: SignalBody, fault: BodyFault | undefined): string => {
  switch (fault?.kind) {
    case "empty-200":
      return "{}"
    case "null-intensity":
      return JSON.stringify({
        ...body,
        data: body.data.map((point, i) => (i === 0 ? { ...point, value: null } : point))
      })
    case "datetime": {
      const shift = (time: string) => wattTimeTime(Date.parse(time) + fault.offsetMinutes * MINUTE_MS)
      return JSON.stringify({
        data: body.data.map((point) => ({ ...point, point_time: shift(point.point_time) })),
        meta: { ...body.meta, generated_at: shift(body.meta.generated_at) }
      })
    }
    default:
      return JSON.stringify(body)
  }
}

/** The `/v3/my-access` body: the plan's regions for `co2_moer`, with the forecast and historical endpoints. */
export const myAccessBody = (plan: ReadonlyArray<RegionCode>) => {
  const model = { model: "2023-03-01", data_start: "2020-01-01", train_start: "2020-01-01", train_end: "2022-12-31" }
  return {
    signal_types: [{
      signal_type: "co2_moer",
      regions: plan.map((region) => ({
        region,
        region_full_name: REGIONS[region].name,
        parent: REGIONS[region].parent,
        data_point_period_seconds: 300,
        endpoints: [{ endpoint: "v3/forecast", models: [model] }, { endpoint: "v3/historical", models: [model] }]
      }))
    }]
  }
}

/** The `n`th token a simulator issues: 32 hex digits, fixed by the seed, like nothing a client could guess. */
export const tokenFor = (seed: string, n: number): string =>
  Array.from({ length: 4 }, (_, i) => Math.floor(unit(seed, "watttime-token", n, i) * 0x1_0000_0000).toString(16))
    .map((part) => part.padStart(8, "0"))
    .join("")
