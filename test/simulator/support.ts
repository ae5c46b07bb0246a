/**
 * Test helpers: a real HTTP client against a simulator on loopback.
 */
// Deep imports: the package index loads every platform module and slows test collection.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Schema } from "effect"
import * as Http from "node:http"

/** Every latest body has these fields, in the recorded bodies' order (plus 2025's `temporalGranularity`). */
export const LATEST_KEYS = [
  "zone",
  "carbonIntensity",
  "datetime",
  "updatedAt",
  "createdAt",
  "emissionFactorType",
  "isEstimated",
  "estimationMethod",
  "temporalGranularity"
]

/** What the poller may rely on, written from the recorded fixtures; extra fields are an error here. */
export const LatestShape = Schema.Struct({
  zone: Schema.String,
  carbonIntensity: Schema.NullOr(Schema.Number),
  datetime: Schema.String.pipe(Schema.pattern(/^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/)),
  updatedAt: Schema.String.pipe(Schema.pattern(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)),
  createdAt: Schema.String.pipe(Schema.pattern(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)),
  emissionFactorType: Schema.Literal("lifecycle", "direct"),
  isEstimated: Schema.Boolean,
  estimationMethod: Schema.NullOr(Schema.String),
  temporalGranularity: Schema.Literal("hourly")
})
export const decodeLatest = Schema.decodeUnknown(LatestShape, { onExcessProperty: "error" })

export const provideClient = Effect.provide(FetchHttpClient.layer)

/** `token: null` sends no `auth-token` header at all. */
export const get = (
  url: string,
  token: string | null = "key"
): Effect.Effect<HttpClientResponse.HttpClientResponse, unknown, HttpClient.HttpClient> =>
  HttpClient.execute(
    HttpClientRequest.get(url).pipe(token === null ? (r) => r : HttpClientRequest.setHeader("auth-token", token))
  )

export const latestUrl = (baseUrl: string, zone: string, factorType?: string) =>
  `${baseUrl}/carbon-intensity/latest?zone=${encodeURIComponent(zone)}${
    factorType === undefined ? "" : `&emissionFactorType=${factorType}`
  }`

/** Status and parsed JSON body of a GET. */
export const getJson = (url: string, token?: string | null) =>
  Effect.flatMap(
    get(url, token),
    (response) => Effect.map(response.json, (body) => ({ status: response.status, body }))
  )

export const send = (method: "POST" | "PUT" | "DELETE", url: string, body?: unknown) =>
  Effect.gen(function*() {
    const base = method === "POST"
      ? HttpClientRequest.post(url)
      : method === "PUT"
      ? HttpClientRequest.put(url)
      : HttpClientRequest.del(url)
    const request = body === undefined ? base : yield* HttpClientRequest.bodyJson(base, body)
    const response = yield* HttpClient.execute(request)
    return { status: response.status, body: yield* response.json }
  })

export const forecastUrl = (baseUrl: string, zone: string, horizonHours?: string | number) =>
  `${baseUrl}/carbon-intensity/forecast?zone=${encodeURIComponent(zone)}${
    horizonHours === undefined ? "" : `&horizonHours=${horizonHours}`
  }`

/** Status and body text of a GET, exactly as sent (no JSON decoding). */
export const getText = (url: string, token?: string | null) =>
  Effect.flatMap(
    get(url, token),
    (response) => Effect.map(response.text, (text) => ({ status: response.status, text }))
  )

export interface RawResponse {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly bytes: Buffer
}

/**
 * A GET through `node:http`, which, unlike fetch, never decompresses: the test sees the bytes on
 * the wire and the headers that label them.
 */
export const rawGet = (url: string, headers: Readonly<Record<string, string>>): Effect.Effect<RawResponse, Error> =>
  Effect.async<RawResponse, Error>((resume) => {
    const request = Http.get(url, { headers }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on(
        "end",
        () =>
          resume(
            Effect.succeed({
              status: response.statusCode ?? 0,
              headers: response.headers,
              bytes: Buffer.concat(chunks)
            })
          )
      )
      response.on("error", (error) => resume(Effect.fail(error)))
    })
    request.on("error", (error) => resume(Effect.fail(error)))
    return Effect.sync(() => request.destroy())
  })
