/**
 * The UK Carbon Intensity API (api.carbonintensity.org.uk) as a source: Great Britain
 * (`national`) and its 17 regions, the current half-hour and a 48-hour half-hourly forecast,
 * average values with the direct emission factor. Free and keyless: no credential is ever sent.
 *
 * The client is shaped like every provider's (src/providers/http/): timeout, bounded body and
 * retries per call. Requests are plain GETs without a body, so they carry no `Content-Type`
 * (the regional routes refuse `text/html` with 400).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Array, Clock, Effect, Either, Layer } from "effect"
import { UkciConfig } from "../../config/UkciConfig.js"
import type { Forecast } from "../../domain/Forecast.js"
import { basisGiven } from "../../domain/ProviderFacts.js"
import type { Reading, ZoneCatalogue } from "../../domain/Reading.js"
import { CarbonSource, type CarbonSourceShape, type SourceError } from "../../ports/CarbonSource.js"
import { makeProviderCalls, reasonForStatus, shapeClient } from "../http/ProviderCalls.js"
import { decodeJson } from "../http/ResponseBody.js"
import { currentPeriod, forwardFrom, toForecast, toReading } from "./Periods.js"
import { NATIONAL, parseZoneId, UKCI_CATALOGUE } from "./Regions.js"
import { ukciFailure } from "./UkciError.js"
import { NationalAnswer, nationalPeriods, type Period, RegionalAnswer, regionalPeriods } from "./Wire.js"

/** Where a zone's answers are, and how to find its periods in an answer's body. */
interface Routes {
  /** The periods in a body: undefined when it has no `data` at all (`{}`), a failure when it does not decode. */
  readonly periodsIn: (text: string) => Either.Either<ReadonlyArray<Period> | undefined, string>
  readonly latest: string
  readonly forward: (from: string) => string
}

const decodeNational = decodeJson(NationalAnswer)
const decodeRegional = decodeJson(RegionalAnswer)

/** Nothing secret is ever sent to this provider, so nothing can come back to hide. */
const nothingToRedact = (text: string): string => text

const national: Routes = {
  periodsIn: (text) => Either.map(decodeNational(text, nothingToRedact), nationalPeriods),
  latest: "/intensity",
  forward: (from) => `/intensity/${from}/fw48h`
}

const regional = (region: number): Routes => ({
  periodsIn: (text) => Either.map(decodeRegional(text, nothingToRedact), regionalPeriods),
  latest: `/regional/regionid/${region}`,
  forward: (from) => `/regional/intensity/${from}/fw48h/regionid/${region}`
})

export const make: Effect.Effect<CarbonSourceShape, never, HttpClient.HttpClient | UkciConfig> = Effect.gen(
  function*() {
    const settings = yield* UkciConfig
    const { attempt, badResponse, withRetries } = makeProviderCalls({
      // The catalogue is built in: only readings and forecasts are ever requested.
      client: shapeClient(yield* HttpClient.HttpClient, settings.apiUrl, {
        provider: "ukci",
        kindOf: ({ url }) => url.includes("/fw48h") ? "forecast" : "latest"
      }),
      baseUrl: settings.apiUrl,
      settings,
      makeError: ukciFailure,
      reasonForStatus,
      redactText: nothingToRedact,
      metricZone: (zone) => `ukci:${zone ?? "catalogue"}`
    })

    const noData = (zone: string, status: number, providerMessage: string) =>
      ukciFailure({ zone, reason: "NoData", status, providerMessage })

    /** The periods of a 2xx answer: an answer without any (`{}`, `{"data":[]}`) has no data. */
    const periodsOf = (zone: string, routes: Routes, text: string, status: number) =>
      Either.flatMap(
        Either.mapLeft(routes.periodsIn(text), (problem) => badResponse(zone, status, problem)),
        (periods): Either.Either<Array.NonEmptyReadonlyArray<Period>, SourceError> => {
          if (periods === undefined) {
            return Either.left(noData(zone, status, `empty answer: ${text.trim().slice(0, 40)}`))
          }
          return Array.isNonEmptyReadonlyArray(periods)
            ? Either.right(periods)
            : Either.left(noData(zone, status, "the answer lists no half-hour period"))
        }
      )

    /** The routes of a zone id, or `ZoneNotFound` without asking (the id goes into the path). */
    const routesOf = (zone: string): Either.Either<Routes, SourceError> => {
      const id = parseZoneId(zone)
      if (id === undefined) {
        return Either.left(
          ukciFailure({
            zone,
            reason: "ZoneNotFound",
            providerMessage: `no such zone: ${JSON.stringify(zone.slice(0, 40))}`
          })
        )
      }
      return Either.right(id === NATIONAL ? national : regional(id))
    }

    const latest = (zone: string): Effect.Effect<Reading, SourceError> =>
      Effect.gen(function*() {
        const routes = yield* routesOf(zone)
        const now = yield* Clock.currentTimeMillis
        return yield* withRetries(
          zone,
          attempt(zone, HttpClientRequest.get(routes.latest), (text, status) =>
            Either.flatMap(periodsOf(zone, routes, text, status), (periods) =>
              Either.mapLeft(toReading(zone, currentPeriod(periods, now)), (problem) =>
                noData(zone, status, problem))))
        )
      })

    const forecast = (zone: string, horizonHours: number): Effect.Effect<Forecast, SourceError> =>
      Effect.gen(function*() {
        const routes = yield* routesOf(zone)
        const now = yield* Clock.currentTimeMillis
        return yield* withRetries(
          zone,
          attempt(
            zone,
            HttpClientRequest.get(routes.forward(forwardFrom(now))),
            (text, status) =>
              Either.map(
                periodsOf(zone, routes, text, status),
                (periods) => toForecast(zone, periods, now, horizonHours)
              )
          )
        )
      })

    const catalogue: Effect.Effect<ZoneCatalogue, SourceError> = Effect.succeed(UKCI_CATALOGUE)

    return {
      provider: "ukci",
      name: "UK Carbon Intensity API",
      // Average, direct, whatever factor the deployment asks for.
      basis: basisGiven("ukci", "direct"),
      requestTimeout: settings.requestTimeout,
      latest,
      forecast,
      catalogue
    }
  }
)

/** The source over an `HttpClient` (provided by the platform) and `UkciConfig`. */
export const layer: Layer.Layer<CarbonSource, never, HttpClient.HttpClient | UkciConfig> = Layer.effect(
  CarbonSource,
  make
)
