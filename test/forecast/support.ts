/** Small builders for forecast tests: series from plain numbers, and the recorded bodies. */
import { readFileSync } from "node:fs"

import type { ForecastPoint, ForecastSeries, RawForecastPoint } from "../../src/forecast/ForecastSeries.js"

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE

export const at = (iso: string): number => {
  const millis = Date.parse(iso)
  if (Number.isNaN(millis)) throw new Error(`test bug: ${iso} is not a date`)
  return millis
}

/** Evenly spaced points from `startIso`, one per `stepMinutes`, the last covering one step too. */
export const evenSeries = (startIso: string, stepMinutes: number, values: ReadonlyArray<number>): ForecastSeries => ({
  points: values.map((carbonIntensity, i) => ({ at: at(startIso) + i * stepMinutes * MINUTE, carbonIntensity })),
  stepMillis: stepMinutes * MINUTE
})

export const seriesOf = (points: ReadonlyArray<readonly [string, number]>, stepMinutes: number): ForecastSeries => ({
  points: points.map(([iso, carbonIntensity]): ForecastPoint => ({ at: at(iso), carbonIntensity })),
  stepMillis: stepMinutes * MINUTE
})

export interface RecordedForecast {
  readonly zone: string
  readonly forecast: ReadonlyArray<RawForecastPoint>
  readonly updatedAt: string
}

const isRawPoint = (value: unknown): value is RawForecastPoint =>
  typeof value === "object" && value !== null && "datetime" in value && typeof value.datetime === "string" &&
  "carbonIntensity" in value && (value.carbonIntensity === null || typeof value.carbonIntensity === "number")

/** A recorded forecast body, read from the repository's copy of the fixtures. */
export const recordedForecast = (name: string): RecordedForecast => {
  const body: unknown = JSON.parse(
    readFileSync(new URL(`../fixtures/electricity-maps/${name}`, import.meta.url), "utf8")
  )
  if (
    typeof body === "object" && body !== null && "zone" in body && typeof body.zone === "string" &&
    "updatedAt" in body && typeof body.updatedAt === "string" &&
    "forecast" in body && Array.isArray(body.forecast) && body.forecast.every(isRawPoint)
  ) {
    return { zone: body.zone, forecast: body.forecast, updatedAt: body.updatedAt }
  }
  throw new Error(`test bug: ${name} is not a forecast body`)
}
