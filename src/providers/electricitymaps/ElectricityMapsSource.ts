/**
 * The Electricity Maps adapter of the source port. It shapes the HTTP client once (base URL,
 * `auth-token`, JSON, identity encoding, no tracing headers to a third party); every call has a
 * timeout, a bounded body, a typed error and the retry policy; answers become `Reading`s and a
 * `ZoneCatalogue`. Wire types, error texts and `/zones` details stay in this folder.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect, Either, Layer, Redacted } from "effect"
import { ApiConfig } from "../../config/ApiConfig.js"
import { BasisConfig } from "../../config/BasisConfig.js"
import type { Forecast } from "../../domain/Forecast.js"
import { basisGiven } from "../../domain/ProviderFacts.js"
import type { Reading, ZoneCatalogue } from "../../domain/Reading.js"
import { CarbonSource, type SourceError } from "../../ports/CarbonSource.js"
import { makeProviderCalls, shapeClient } from "../http/ProviderCalls.js"
import { makeRedactor, type Redactor } from "../http/Redaction.js"
import { decodeJson } from "../http/ResponseBody.js"
import { apiFailure, reasonForStatus } from "./ApiError.js"
import { coversForecast, coversLatest } from "./PlanAccess.js"
import { RequestRateLimiter } from "./RequestRateLimiter.js"
import { ForecastAnswer, LatestAnswer, type ZonesAnswer, ZonesAnswer as ZonesAnswerSchema } from "./Wire.js"

const decodeLatest = decodeJson(LatestAnswer)
const decodeZones = decodeJson(ZonesAnswerSchema)
const decodeForecast = decodeJson(ForecastAnswer)

/**
 * The answer as the port's `Forecast`, every string passed through the redactor: a refusal's
 * message quotes the values it refuses, and it goes to the log and the cache file.
 */
export const toForecast = (answer: ForecastAnswer, redactor: Redactor): Forecast => ({
  zone: redactor.value(answer.zone),
  ...(answer.updatedAt !== undefined ? { updatedAt: redactor.value(answer.updatedAt) } : {}),
  ...(answer.temporalGranularity != null
    ? { temporalGranularity: redactor.value(answer.temporalGranularity) }
    : {}),
  points: answer.forecast.map((point) => ({
    datetime: redactor.value(point.datetime),
    carbonIntensity: point.carbonIntensity
  }))
})

/** The answer's fields as sent, in the cache's order; absent optional fields stay absent. */
const toReading = (answer: LatestAnswer, carbonIntensity: number): Reading => ({
  zone: answer.zone,
  carbonIntensity,
  datetime: answer.datetime,
  updatedAt: answer.updatedAt,
  ...(answer.createdAt !== undefined ? { createdAt: answer.createdAt } : {}),
  emissionFactorType: answer.emissionFactorType,
  isEstimated: answer.isEstimated,
  ...(answer.estimationMethod !== undefined ? { estimationMethod: answer.estimationMethod } : {}),
  ...(answer.temporalGranularity !== undefined ? { temporalGranularity: answer.temporalGranularity } : {})
})

/** The catalogue as the port's; names pass through the redactor (the `zones` command prints them). */
export const toCatalogue = (answer: ZonesAnswer, redactor?: Redactor): ZoneCatalogue => {
  // `access` only appears when the API accepted the token; without it there is no plan to check.
  const planKnown = Object.values(answer).some((zone) => zone.access !== undefined)
  const redact = (
    name: string | undefined
  ) => (name === undefined || redactor === undefined ? name : redactor.value(name))
  return Object.entries(answer).map(([zone, details]) => ({
    zone,
    name: redact(details.zoneName),
    country: redact(details.countryName),
    access: planKnown
      ? { latest: coversLatest(details.access ?? []), forecast: coversForecast(details.access ?? []) }
      : undefined
  }))
}

export const make = Effect.gen(function*() {
  const settings = yield* ApiConfig
  // Asked for the deployment's emission factor, so every value it gives is of the ranked basis.
  const { emissionFactorType } = yield* BasisConfig
  const redactor = makeRedactor(Redacted.value(settings.apiKey))
  const limiter = yield* RequestRateLimiter
  const key = Redacted.value(settings.apiKey)
  const { attempt, badResponse, withRetries } = makeProviderCalls({
    // No key (the `zones` command may run without one): no header, as `/zones` allows.
    client: shapeClient(
      yield* HttpClient.HttpClient,
      settings.apiUrl,
      {
        provider: "electricitymaps",
        kindOf: ({ url }) => url.endsWith("/zones") ? "catalogue" : url.includes("/forecast") ? "forecast" : "latest"
      },
      key === "" ? {} : { "auth-token": key }
    ),
    baseUrl: settings.apiUrl,
    settings,
    makeError: (failure) => apiFailure({ ...failure, baseUrl: settings.apiUrl }),
    reasonForStatus,
    redactText: redactor.text,
    throttle: limiter.throttle,
    metricZone: (zone) => zone ?? "(zones)"
  })

  const latest = (zone: string): Effect.Effect<Reading, SourceError> =>
    withRetries(
      zone,
      attempt(
        zone,
        HttpClientRequest.get("/carbon-intensity/latest", {
          urlParams: { zone, emissionFactorType }
        }),
        (text, status) =>
          Either.flatMap(
            Either.mapLeft(decodeLatest(text, redactor.text), (problem) => badResponse(zone, status, problem)),
            (answer) =>
              answer.carbonIntensity === null
                ? Either.left(
                  apiFailure({ zone, reason: "NoData", status, providerMessage: "carbonIntensity is null" })
                )
                : Either.right(redactor.reading(toReading(answer, answer.carbonIntensity)))
          )
      )
    )

  const catalogue: Effect.Effect<ZoneCatalogue, SourceError> = withRetries(
    undefined,
    attempt(undefined, HttpClientRequest.get("/zones"), (text, status) =>
      Either.map(
        Either.mapLeft(decodeZones(text, redactor.text), (problem) => badResponse(undefined, status, problem)),
        (answer) => toCatalogue(answer, redactor)
      ))
  )

  const forecast = (zone: string, horizonHours: number): Effect.Effect<Forecast, SourceError> =>
    withRetries(
      zone,
      attempt(
        zone,
        HttpClientRequest.get("/carbon-intensity/forecast", {
          urlParams: { zone, horizonHours: String(horizonHours), emissionFactorType }
        }),
        (text, status) =>
          Either.map(
            Either.mapLeft(decodeForecast(text, redactor.text), (problem) => badResponse(zone, status, problem)),
            (answer) => toForecast(answer, redactor)
          )
      )
    )

  return CarbonSource.of({
    provider: "electricitymaps",
    name: "Electricity Maps",
    // Electricity Maps gives average values of the factor it is asked for.
    basis: basisGiven("electricitymaps", emissionFactorType),
    requestTimeout: settings.requestTimeout,
    latest,
    forecast,
    catalogue
  })
})

/** The adapter over an `HttpClient` (provided by the platform), the API settings and the deployment's basis. */
export const layer = Layer.effect(CarbonSource, make).pipe(Layer.provide(RequestRateLimiter.Default))
