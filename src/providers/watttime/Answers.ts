/**
 * WattTime's answers as the port's `Reading`, `Forecast` and `ZoneCatalogue`. Pure.
 *
 * The values are `co2_moer`, the marginal operating emissions rate, in lbs CO2 per MWh; the port
 * speaks gCO2eq/kWh: 1 lb = 453.59237 g and 1 MWh = 1000 kWh, so lbs/MWh × 0.45359237 = g/kWh.
 * Every time WattTime writes (`2022-07-15T00:00:00+00:00`) is given as RFC 3339 UTC with `Z`; a
 * time that does not parse is passed on as sent, so the core refuses it by name.
 */
import { Either } from "effect"
import type { Forecast } from "../../domain/Forecast.js"
import { granularityName } from "../../domain/Granularity.js"
import type { Reading, ZoneCatalogue } from "../../domain/Reading.js"
import { formatInstant, parseRfc3339Instant } from "../../domain/Time.js"
import type { Redactor } from "../http/Redaction.js"
import type { MyAccessAnswer, SignalAnswer } from "./Wire.js"

export const SIGNAL_TYPE = "co2_moer"
export const UNITS = "lbs_co2_per_mwh"
export const GRAMS_PER_KWH_PER_LBS_PER_MWH = 0.45359237

/** The endpoint both the latest value and the forecast come from, as `/v3/my-access` names it. */
const FORECAST_ENDPOINT = /^\/?(?:v3\/)?forecast\/?$/

/**
 * lbs/MWh to gCO2eq/kWh: the exact factor (one pound is 453.59237 g), unrounded, so a reader
 * converting back gets WattTime's figure.
 */
export const toGramsPerKwh = (lbsPerMwh: number): number => lbsPerMwh * GRAMS_PER_KWH_PER_LBS_PER_MWH

/** The granularity name the core knows for a point period: 300 s is `5_minutes`, 3600 s `hourly`. */
export const granularityOf = (periodSeconds: number | undefined): string | undefined =>
  periodSeconds === undefined ? undefined : granularityName(periodSeconds / 60)

const utc = (time: string, redactor: Redactor): string => {
  const at = parseRfc3339Instant(time)
  return at === undefined ? redactor.value(time) : formatInstant(at)
}

/** Problems that make an answer unusable, named for the error; undefined when it is a co2_moer answer in lbs/MWh. */
export const signalProblem = (answer: SignalAnswer): string | undefined =>
  answer.meta.signal_type !== SIGNAL_TYPE
    ? `meta.signal_type is ${JSON.stringify(answer.meta.signal_type)}, not ${SIGNAL_TYPE}`
    : answer.meta.units !== UNITS
    ? `meta.units is ${JSON.stringify(answer.meta.units)}, not ${UNITS}`
    : undefined

/**
 * The first point, the current period (WattTime calls it the real-time data point), as a reading.
 * It comes from a forecast run, so it is an estimate. `zone` is the region the answer names (the
 * core refuses one that is not the region asked for); `updatedAt` is when the forecast was
 * generated, and absent when the answer does not say (never invented).
 */
export const toReading = (answer: SignalAnswer, redactor: Redactor): Either.Either<Reading, string> => {
  const first = answer.data[0]
  if (first === undefined) return Either.left("no data points")
  if (first.value === null) return Either.left(`no value for ${first.point_time}`)
  const datetime = utc(first.point_time, redactor)
  const granularity = granularityOf(answer.meta.data_point_period_seconds)
  return Either.right(redactor.reading({
    zone: answer.meta.region,
    carbonIntensity: toGramsPerKwh(first.value),
    datetime,
    ...(answer.meta.generated_at === undefined ? {} : { updatedAt: utc(answer.meta.generated_at, redactor) }),
    emissionFactorType: "direct",
    isEstimated: true,
    ...(granularity === undefined ? {} : { temporalGranularity: granularity })
  }))
}

export const toForecast = (answer: SignalAnswer, redactor: Redactor): Forecast => {
  const granularity = granularityOf(answer.meta.data_point_period_seconds)
  return {
    zone: redactor.value(answer.meta.region),
    ...(answer.meta.generated_at === undefined ? {} : { updatedAt: utc(answer.meta.generated_at, redactor) }),
    ...(granularity === undefined ? {} : { temporalGranularity: granularity }),
    points: answer.data.map((point) => ({
      datetime: utc(point.point_time, redactor),
      carbonIntensity: point.value === null ? null : toGramsPerKwh(point.value)
    }))
  }
}

/**
 * The regions the account may query for `co2_moer`. `/v3/my-access` lists nothing else, so a real
 * region outside the plan is simply absent; a listed region's latest value and forecast both need
 * the forecast endpoint.
 */
export const toCatalogue = (answer: MyAccessAnswer): ZoneCatalogue =>
  answer.signal_types
    .filter((signal) => signal.signal_type === SIGNAL_TYPE)
    .flatMap((signal) => signal.regions)
    .map((region) => {
      const forecast = (region.endpoints ?? []).some((e) => FORECAST_ENDPOINT.test(e.endpoint))
      return { zone: region.region, name: region.region_full_name, access: { latest: forecast, forecast } }
    })
