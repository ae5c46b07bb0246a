/**
 * The Electricity Maps adapter of the source port. It shapes the HTTP client once (base URL,
 * `auth-token`, JSON, identity encoding, no tracing headers to a third party); every call has a
 * timeout, a bounded body, a typed error and the retry policy; answers become `Reading`s and a
 * `ZoneCatalogue`. Wire types, error texts and `/zones` details stay in this folder.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Clock, Duration, Effect, Either, Layer, Option, Redacted, Schedule, ScheduleDecision } from "effect"
import { ApiConfig } from "../../config/ApiConfig.js"
import { BasisConfig } from "../../config/BasisConfig.js"
import type { Forecast } from "../../domain/Forecast.js"
import type { Reading, ZoneCatalogue } from "../../domain/Reading.js"
import * as Metrics from "../../observability/Metrics.js"
import { NAME, VERSION } from "../../platform/Version.js"
import { CarbonSource, type SourceError } from "../../ports/CarbonSource.js"
import { apiFailure, parseRetryAfter, reasonForStatus, summarizeErrorBody } from "./ApiError.js"
import { coversForecast, coversLatest } from "./PlanAccess.js"
import { makeRedactor, type Redactor } from "./Redaction.js"
import { RequestRateLimiter } from "./RequestRateLimiter.js"
import { decodeJson, readBoundedText } from "./ResponseBody.js"
import { retryPolicy } from "./RetryPolicy.js"
import { describeTransport } from "./TransportProblem.js"
import { ForecastAnswer, LatestAnswer, type ZonesAnswer, ZonesAnswer as ZonesAnswerSchema } from "./Wire.js"

/** Error bodies are only read for their message; a small cap keeps a hostile one cheap. */
const MAX_ERROR_BODY_BYTES = 16 * 1024

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

export const toCatalogue = (answer: ZonesAnswer): ZoneCatalogue => {
  // `access` only appears when the API accepted the token; without it there is no plan to check.
  const planKnown = Object.values(answer).some((zone) => zone.access !== undefined)
  return Object.entries(answer).map(([zone, details]) => ({
    zone,
    name: details.zoneName,
    country: details.countryName,
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
  const client = (yield* HttpClient.HttpClient).pipe(
    HttpClient.mapRequest((request) =>
      request.pipe(
        HttpClientRequest.prependUrl(settings.apiUrl),
        HttpClientRequest.setHeaders({
          // No key (the `zones` command may run without one): no header, as `/zones` allows.
          ...(Redacted.value(settings.apiKey) === "" ? {} : { "auth-token": Redacted.value(settings.apiKey) }),
          accept: "application/json",
          // Compressed answers are refused rather than decoded: the size cap counts what is read.
          "accept-encoding": "identity",
          "user-agent": `${NAME}/${VERSION}`
        })
      )
    ),
    // A third-party API gets no `traceparent`/`b3` headers.
    HttpClient.withTracerPropagation(false)
  )

  /** One attempt: request, status, bounded body, all under the per-request timeout. */
  const attempt = <A>(
    zone: string | undefined,
    request: HttpClientRequest.HttpClientRequest,
    onBody: (text: string, status: number) => Either.Either<A, SourceError>
  ): Effect.Effect<A, SourceError> =>
    Effect.gen(function*() {
      const response = yield* client.execute(request).pipe(
        Effect.mapError((cause) =>
          apiFailure({
            zone,
            reason: "Transport",
            providerMessage: redactor.text(
              cause.reason === "Transport"
                ? describeTransport(cause.cause, settings.apiUrl, String(cause.cause ?? cause.message))
                : cause.message
            ),
            baseUrl: settings.apiUrl,
            cause
          })
        )
      )
      if (response.status >= 200 && response.status < 300) {
        const text = yield* readBoundedText(response, settings.maxResponseBytes, zone)
        return yield* onBody(text, response.status)
      }
      const errorText = yield* readBoundedText(response, MAX_ERROR_BODY_BYTES, zone).pipe(
        Effect.orElseSucceed(() => "")
      )
      const providerMessage = Option.getOrUndefined(
        Option.map(Option.fromNullable(summarizeErrorBody(errorText)), redactor.text)
      )
      const now = yield* Clock.currentTimeMillis
      return yield* apiFailure({
        zone,
        reason: reasonForStatus(response.status, providerMessage),
        status: response.status,
        providerMessage,
        baseUrl: settings.apiUrl,
        retryAfter: Option.getOrUndefined(parseRetryAfter(response.headers["retry-after"], now, settings.retryMaxDelay))
      })
    }).pipe(
      Effect.timeoutFail({
        duration: settings.requestTimeout,
        onTimeout: () =>
          apiFailure({
            zone,
            reason: "Timeout",
            providerMessage: `no complete answer within ${Duration.format(settings.requestTimeout)}`
          })
      })
    )

  const withRetries = <A>(zone: string | undefined, effect: Effect.Effect<A, SourceError>) =>
    limiter.throttle(effect).pipe(
      Effect.retry(
        retryPolicy(settings).pipe(
          // Said only when the policy decided to try again: not for permanent failures, and not
          // for the last transient one.
          Schedule.onDecision((error, decision) =>
            ScheduleDecision.isContinue(decision)
              ? Effect.logDebug(`retrying: ${error.message}`).pipe(
                Effect.zipRight(Metrics.increment(Metrics.retries, { zone: zone ?? "(zones)", reason: error.reason }))
              )
              : Effect.void
          )
        )
      )
    )

  const badResponse = (zone: string | undefined, status: number, problem: string) =>
    apiFailure({ zone, reason: "BadResponse", status, providerMessage: redactor.text(`unexpected answer: ${problem}`) })

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
            Either.mapLeft(decodeLatest(text), (problem) => badResponse(zone, status, problem)),
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
        Either.mapLeft(decodeZones(text), (problem) => badResponse(undefined, status, problem)),
        toCatalogue
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
            Either.mapLeft(decodeForecast(text), (problem) => badResponse(zone, status, problem)),
            (answer) => toForecast(answer, redactor)
          )
      )
    )

  return CarbonSource.of({
    provider: "electricitymaps",
    name: "Electricity Maps",
    // Electricity Maps gives average values of the factor it is asked for.
    basis: { signal: "average", emissionFactorType },
    requestTimeout: settings.requestTimeout,
    latest,
    forecast,
    catalogue
  })
})

/** The adapter over an `HttpClient` (provided by the platform), the API settings and the deployment's basis. */
export const layer = Layer.effect(CarbonSource, make).pipe(Layer.provide(RequestRateLimiter.Default))
