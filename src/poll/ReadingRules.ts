/**
 * When a reading may be presented as fresh. A reading that breaks a rule is refused (never ranked,
 * never written) and named with the rule it broke, so the zone shows up in `unavailable` instead of
 * as a clean, current value that is not one. The same rules apply to an entry read back from a
 * previous file, with the time it was fetched standing in for "now".
 */
import { parseRfc3339Instant } from "../domain/Time.js"
import type { RefusalReason } from "../ports/CarbonSource.js"

/** The dirtiest real grids stay under about 1,200 gCO2eq/kWh; above this a value is a fault. */
export const MAX_CARBON_INTENSITY = 5000
/** The current hourly slot is normal, so a reading may run up to an hour ahead of the clock. */
export const MAX_FUTURE_MINUTES = 60

export interface Refusal {
  readonly reason: RefusalReason
  readonly message: string
}

export interface ReadingExpectations {
  /** The zone that was asked for. */
  readonly zone: string
  readonly emissionFactorType: string
  readonly maxReadingAgeMinutes: number
}

export interface CheckedFields {
  readonly zone: string
  readonly carbonIntensity: number
  readonly datetime: string
  readonly emissionFactorType?: string | undefined
}

const MILLIS_PER_MINUTE = 60_000

const minutes = (millis: number): string => {
  const total = Math.round(Math.abs(millis) / MILLIS_PER_MINUTE)
  return total < 120
    ? `${total} min`
    : total < 2880
    ? `${Math.round(total / 60)} h`
    : `${Math.round(total / 1440)} days`
}

/** Shown in messages without letting a hostile value flood a log line. */
const quoted = (text: string): string => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)

/** The first rule the reading breaks, or `undefined` when it may be used. `fetchedAt` is epoch ms. */
export const checkReading = (
  reading: CheckedFields,
  expected: ReadingExpectations,
  fetchedAt: number
): Refusal | undefined => {
  if (reading.zone !== expected.zone) {
    return { reason: "WrongZone", message: `the answer is for zone ${quoted(reading.zone)}, not ${expected.zone}` }
  }
  const value = reading.carbonIntensity
  if (!Number.isFinite(value) || value < 0 || value > MAX_CARBON_INTENSITY) {
    return {
      reason: "ImpossibleValue",
      message: `carbonIntensity ${String(value)} is not a number from 0 to ${MAX_CARBON_INTENSITY} gCO2eq/kWh`
    }
  }
  if (reading.emissionFactorType !== undefined && reading.emissionFactorType !== expected.emissionFactorType) {
    return {
      reason: "WrongEmissionFactor",
      message: `emissionFactorType ${
        quoted(reading.emissionFactorType)
      } answers a request for ${expected.emissionFactorType}`
    }
  }
  const at = parseRfc3339Instant(reading.datetime)
  if (at === undefined) {
    return { reason: "BadDatetime", message: `datetime ${quoted(reading.datetime)} is not an RFC 3339 instant` }
  }
  if (at - fetchedAt > MAX_FUTURE_MINUTES * MILLIS_PER_MINUTE) {
    return {
      reason: "FutureReading",
      message: `datetime ${reading.datetime} is ${minutes(at - fetchedAt)} ahead of the time it was fetched`
    }
  }
  if (fetchedAt - at > expected.maxReadingAgeMinutes * MILLIS_PER_MINUTE) {
    return {
      reason: "StaleReading",
      message: `datetime ${reading.datetime} was ${
        minutes(fetchedAt - at)
      } old when fetched (MAX_READING_AGE_MINUTES=${expected.maxReadingAgeMinutes})`
    }
  }
  return undefined
}
