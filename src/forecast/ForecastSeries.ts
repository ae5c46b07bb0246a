/**
 * A decoded forecast body turned into a clean step series, or refused with a named reason.
 *
 * The rules are the ones a latest reading obeys (nothing wrong or impossible is presented as
 * fresh), applied to every point: one bad point refuses the whole forecast, because dropping it
 * would let its neighbour's value stand in for a slot the API did not forecast.
 */
import { Either } from "effect"

import { granularityMinutes } from "../domain/Granularity.js"
import { parseRfc3339Instant } from "../domain/Time.js"

/** One forecast point as the API sends it. */
export interface RawForecastPoint {
  readonly datetime: string
  readonly carbonIntensity: number | null
}

/** One checked point: `at` in epoch milliseconds, the value in gCO2eq/kWh. */
export interface ForecastPoint {
  readonly at: number
  readonly carbonIntensity: number
}

/**
 * Points ascending with distinct instants. Each point covers the time up to the next point; the
 * last covers `stepMillis`.
 */
export interface ForecastSeries {
  readonly points: ReadonlyArray<ForecastPoint>
  readonly stepMillis: number
}

export type ForecastRefusalReason =
  | "WrongZone"
  | "Empty"
  | "MissingValue"
  | "ImpossibleValue"
  | "BadDatetime"
  | "DuplicateDatetime"

/** Shaped to go as-is into the cache file's `unavailable_forecasts` entry. */
export interface ForecastRefusal {
  readonly reason: ForecastRefusalReason
  readonly message: string
}

export interface ForecastInput {
  /** The zone key that was asked for. */
  readonly asked: string
  /** The zone key the body names. */
  readonly zone: string
  readonly points: ReadonlyArray<RawForecastPoint>
  readonly temporalGranularity?: string | null | undefined
}

/** No real grid comes near this (the dirtiest stay under about 1,200 gCO2eq/kWh). */
export const MAX_CARBON_INTENSITY = 5000

const MILLIS_PER_MINUTE = 60_000
const DEFAULT_STEP_MINUTES = 60

const refusal = (reason: ForecastRefusalReason, message: string): ForecastRefusal => ({ reason, message })

/**
 * The most common spacing between consecutive points. Among equally common spacings the
 * shortest wins: the step only says how long the last point lasts, and claiming less coverage
 * than the evidence shows can only lose a window, never invent one.
 */
export const mostCommonSpacing = (ascendingInstants: ReadonlyArray<number>): number | undefined => {
  const counts = new Map<number, number>()
  for (let i = 1; i < ascendingInstants.length; i++) {
    const spacing = ascendingInstants[i]! - ascendingInstants[i - 1]!
    counts.set(spacing, (counts.get(spacing) ?? 0) + 1)
  }
  let best: { spacing: number; count: number } | undefined
  for (const [spacing, count] of counts) {
    if (best === undefined || count > best.count || (count === best.count && spacing < best.spacing)) {
      best = { spacing, count }
    }
  }
  return best?.spacing
}

/**
 * What the last point covers: the declared granularity when it is one we know; otherwise (not
 * sent, or a name we do not know) the most common spacing, which is the API's granularity in
 * every recorded body; otherwise (a single point) an hour, the API's usual forecast step.
 */
const stepMillisFor = (granularity: string | null | undefined, ascendingInstants: ReadonlyArray<number>): number => {
  const declared = granularity == null ? undefined : granularityMinutes(granularity)
  if (declared !== undefined) return declared * MILLIS_PER_MINUTE
  return mostCommonSpacing(ascendingInstants) ?? DEFAULT_STEP_MINUTES * MILLIS_PER_MINUTE
}

/** A value quoted in a refusal message, cut so that one hostile value cannot flood the file or the log. */
export const quoted = (text: string): string => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)

const describePoint = (index: number, point: RawForecastPoint): string =>
  `point ${index} (datetime ${quoted(point.datetime)}, carbonIntensity ${String(point.carbonIntensity)})`

const checkPoint = (point: RawForecastPoint, index: number): Either.Either<ForecastPoint, ForecastRefusal> => {
  const value = point.carbonIntensity
  if (value === null) {
    return Either.left(refusal("MissingValue", `${describePoint(index, point)} has no carbonIntensity`))
  }
  if (!Number.isFinite(value) || value < 0 || value > MAX_CARBON_INTENSITY) {
    return Either.left(refusal(
      "ImpossibleValue",
      `${describePoint(index, point)}: carbonIntensity must be a finite number in 0..${MAX_CARBON_INTENSITY} gCO2eq/kWh`
    ))
  }
  const at = parseRfc3339Instant(point.datetime)
  if (at === undefined) {
    return Either.left(refusal(
      "BadDatetime",
      `${describePoint(index, point)}: datetime is not an RFC 3339 instant (date, time and offset)`
    ))
  }
  return Either.right({ at, carbonIntensity: value })
}

/**
 * Two points for one instant are refused rather than one picked: the body contradicts itself,
 * and either choice would present a guess as the forecast. Compared after parsing, so
 * `…T10:00:00Z` and `…T12:00:00+02:00` are the same instant.
 */
const findDuplicate = (ascending: ReadonlyArray<ForecastPoint>): ForecastPoint | undefined =>
  ascending.find((point, i) => i > 0 && ascending[i - 1]!.at === point.at)

/**
 * Checks a decoded forecast and returns its points as an ascending step series.
 *
 * Unsorted points are sorted, not refused: each point carries its own instant, so the order of
 * the JSON array says nothing the datetimes do not, and sorting loses no information.
 */
export const toForecastSeries = (input: ForecastInput): Either.Either<ForecastSeries, ForecastRefusal> => {
  if (input.zone !== input.asked) {
    return Either.left(refusal(
      "WrongZone",
      `asked for zone ${JSON.stringify(input.asked)}, the forecast is for ${quoted(input.zone)}`
    ))
  }
  if (input.points.length === 0) {
    return Either.left(refusal("Empty", `the forecast for ${input.asked} has no points`))
  }
  const checked: Array<ForecastPoint> = []
  for (const [index, raw] of input.points.entries()) {
    const point = checkPoint(raw, index)
    if (Either.isLeft(point)) return Either.left(point.left)
    checked.push(point.right)
  }
  const ascending = checked.sort((a, b) => a.at - b.at)
  const duplicate = findDuplicate(ascending)
  if (duplicate !== undefined) {
    return Either.left(refusal(
      "DuplicateDatetime",
      `the forecast for ${input.asked} has more than one point at ${new Date(duplicate.at).toISOString()}`
    ))
  }
  const stepMillis = stepMillisFor(input.temporalGranularity, ascending.map((point) => point.at))
  return Either.right({ points: ascending, stepMillis })
}
