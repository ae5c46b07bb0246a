/**
 * An `HttpClient` made with `HttpClient.make` that answers like Electricity Maps from the recorded
 * fixtures, with scripted faults per zone, and records what it was asked. Built per test, so no
 * state leaks between tests.
 */
import { HttpClient, HttpClientError, type HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Clock, type Duration, Effect, Layer } from "effect"
import { CURRENT_HOUR, fixtureText, hourOf, latestBody } from "./fixtures.js"

export type Answer =
  | {
    readonly _tag: "Respond"
    readonly status: number
    readonly body: string
    readonly headers?: Record<string, string>
  }
  | { readonly _tag: "Transport" }
  | { readonly _tag: "Hang" }
  | { readonly _tag: "Delay"; readonly delay: Duration.DurationInput; readonly then: Answer }

export const respond = (status: number, body: string, headers: Record<string, string> = {}): Answer => ({
  _tag: "Respond",
  status,
  body,
  headers
})
export const transport: Answer = { _tag: "Transport" }
export const hang: Answer = { _tag: "Hang" }
export const delayed = (delay: Duration.DurationInput, then: Answer): Answer => ({ _tag: "Delay", delay, then })

export interface RecordedRequest {
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
}

export interface FakeApiOptions {
  /** Carbon intensity per zone for healthy answers; zones not listed answer 404 like the API. */
  readonly intensities?: Readonly<Record<string, number | null>>
  /** Scripted answers per zone, used one per request before falling back to the healthy answer. */
  readonly scripts?: Readonly<Record<string, ReadonlyArray<Answer>>>
  /** The body of `GET /zones`. */
  readonly zonesBody?: string
  /** How long `GET /zones` takes to answer (a slow catalogue). */
  readonly zonesDelay?: Duration.DurationInput
  /** Healthy answers say the emission factor asked for (else the recorded body's, lifecycle). */
  readonly answersFactorAsked?: boolean
  /** Healthy forecast bodies per zone (see `forecastBody`); zones not listed answer 404. */
  readonly forecasts?: Readonly<Record<string, string>>
  /** Scripted forecast answers per zone, one per request before the healthy answer. */
  readonly forecastScripts?: Readonly<Record<string, ReadonlyArray<Answer>>>
}

/** Plays one scripted answer to a request (any provider's); `CURRENT_HOUR` in a body becomes the clock's hour. */
export const play = (
  request: HttpClientRequest.HttpClientRequest,
  answer: Answer
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
  switch (answer._tag) {
    case "Respond":
      return Effect.map(Clock.currentTimeMillis, (now) =>
        HttpClientResponse.fromWeb(
          request,
          new Response(answer.body.replaceAll(CURRENT_HOUR, hourOf(now)), {
            status: answer.status,
            headers: answer.headers ?? {}
          })
        ))
    case "Transport":
      return Effect.fail(
        new HttpClientError.RequestError({
          request,
          reason: "Transport",
          cause: new Error("connect ECONNREFUSED 127.0.0.1:1")
        })
      )
    case "Hang":
      return Effect.never
    case "Delay":
      return Effect.zipRight(Effect.sleep(answer.delay), play(request, answer.then))
  }
}

export const makeFakeApi = (options: FakeApiOptions = {}) => {
  const scripts = new Map(Object.entries(options.scripts ?? {}).map(([zone, answers]) => [zone, [...answers]]))
  const forecastScripts = new Map(
    Object.entries(options.forecastScripts ?? {}).map(([zone, answers]) => [zone, [...answers]])
  )
  const requests: Array<RecordedRequest> = []
  const perZone = new Map<string, number>()
  const forecastsPerZone = new Map<string, number>()
  let inFlight = 0
  let maxInFlight = 0

  /** A healthy answer: the recorded one (lifecycle), or of the emission factor asked for, as the API's is. */
  const healthy = (zone: string, asked: string | null): Answer => {
    const emissionFactorType = options.answersFactorAsked === true ? asked : null
    const intensities = options.intensities ?? {}
    if (!(zone in intensities)) return respond(404, JSON.stringify({ error: `Zone '${zone}' does not exist` }))
    return respond(
      200,
      latestBody(zone, intensities[zone] ?? null, emissionFactorType === null ? {} : { emissionFactorType })
    )
  }

  const healthyForecast = (zone: string): Answer => {
    const body = options.forecasts?.[zone]
    return body === undefined
      ? respond(404, JSON.stringify({ error: `Zone '${zone}' does not exist` }))
      : respond(200, body)
  }

  let zonesBody = options.zonesBody
  let zonesRequests = 0
  const client = HttpClient.make((request, url) => {
    requests.push({ url, headers: { ...request.headers } })
    if (url.pathname.endsWith("/zones")) {
      zonesRequests++
      const zones = respond(200, zonesBody ?? fixtureText("zones.json"))
      return play(request, options.zonesDelay === undefined ? zones : delayed(options.zonesDelay, zones))
    }
    const zone = url.searchParams.get("zone") ?? ""
    if (url.pathname.endsWith("/carbon-intensity/forecast")) {
      forecastsPerZone.set(zone, (forecastsPerZone.get(zone) ?? 0) + 1)
      return play(request, forecastScripts.get(zone)?.shift() ?? healthyForecast(zone))
    }
    perZone.set(zone, (perZone.get(zone) ?? 0) + 1)
    const answer = scripts.get(zone)?.shift() ?? healthy(zone, url.searchParams.get("emissionFactorType"))
    return Effect.acquireUseRelease(
      Effect.sync(() => {
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
      }),
      () => play(request, answer),
      () => Effect.sync(() => inFlight--)
    )
  })

  return {
    layer: Layer.succeed(HttpClient.HttpClient, client),
    requests,
    requestsFor: (zone: string) => perZone.get(zone) ?? 0,
    requestsForZones: () => zonesRequests,
    forecastRequestsFor: (zone: string) => forecastsPerZone.get(zone) ?? 0,
    get totalForecastRequests() {
      return [...forecastsPerZone.values()].reduce((a, b) => a + b, 0)
    },
    /** Changes what `/zones` answers from now on (a catalogue that gains or loses zones). */
    setZonesBody: (body: string) => {
      zonesBody = body
    },
    get maxInFlight() {
      return maxInFlight
    },
    get totalLatestRequests() {
      return [...perZone.values()].reduce((a, b) => a + b, 0)
    }
  }
}
