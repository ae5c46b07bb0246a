/**
 * The Electricity Maps API as a service over @effect/platform's `HttpClient`. The client is shaped
 * once (base URL, `auth-token`, JSON); every call has a timeout, a bounded body, a typed error and
 * the retry policy of CONTRACT section 4.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Chunk, Clock, Duration, Effect, Either, Option, ParseResult, Redacted, Schedule, Schema, Stream } from "effect"
import { ApiError, parseRetryAfter, reasonForStatus, summarizeErrorBody } from "./ApiError.js"
import { PollerConfig, type Settings } from "./Config.js"
import { LatestCarbonIntensity, ZoneCatalog, type UsableReading } from "./Domain.js"
import * as Metrics from "./Metrics.js"
import { RequestRateLimiter } from "./RequestRateLimiter.js"
import { retryPolicy } from "./RetryPolicy.js"

/** Error bodies are only read for their message; a small cap keeps a hostile one cheap. */
const MAX_ERROR_BODY_BYTES = 16 * 1024

const decoder = new TextDecoder()

/** Reads the body as text, failing once it passes `maxBytes` (checked before and while reading). */
const readBoundedText = (
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number,
  zone: string | undefined
): Effect.Effect<string, ApiError> => {
  const tooLarge = () =>
    new ApiError({ zone, reason: "BodyTooLarge", status: response.status, apiMessage: `answer larger than ${maxBytes} bytes` })
  const declared = Number(response.headers["content-length"])
  if (Number.isFinite(declared) && declared > maxBytes) return Effect.fail(tooLarge())
  const lostConnection = (cause: unknown) =>
    new ApiError({ zone, reason: "Transport", status: response.status, apiMessage: "connection lost while reading the answer", cause })
  // A declared, uncompressed length is enforced by HTTP framing, so the whole body can be read at
  // once: a third of the CPU of folding the stream chunk by chunk (measured by the benchmark).
  // Chunked or compressed answers are counted while they are read.
  const encoded = (response.headers["content-encoding"] ?? "identity") !== "identity"
  if (Number.isFinite(declared) && !encoded) return Effect.mapError(response.text, lostConnection)
  return response.stream.pipe(
    Stream.mapError(lostConnection),
    Stream.runFoldEffect({ chunks: Chunk.empty<Uint8Array>(), size: 0 }, (acc, bytes) => {
      const size = acc.size + bytes.length
      return size > maxBytes ? Effect.fail(tooLarge()) : Effect.succeed({ chunks: Chunk.append(acc.chunks, bytes), size })
    }),
    Effect.map(({ chunks, size }) => {
      const all = new Uint8Array(size)
      let offset = 0
      for (const bytes of chunks) {
        all.set(bytes, offset)
        offset += bytes.length
      }
      return decoder.decode(all)
    })
  )
}

/** What was wrong (each issue with its path, not the schema's type) and what the API said. */
const decodeJson = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownEither(Schema.parseJson(schema))
  return (text: string): Either.Either<A, string> =>
    Either.mapLeft(decode(text), (error) => {
      const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
        .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
        .join("; ")
        .replace(/\s+/g, " ")
      return `${issues.length > 200 ? `${issues.slice(0, 200)}…` : issues}; the API said: ${summarizeErrorBody(text) ?? "(empty body)"}`
    })
}
const decodeLatest = decodeJson(LatestCarbonIntensity)
const decodeCatalog = decodeJson(ZoneCatalog)

/** The key must never reach a log line or the cache, even when the API echoes what it was sent. */
const redactKey = (settings: Settings) => <T extends string | undefined>(text: T): T => {
  const key = Redacted.value(settings.apiKey)
  return (text === undefined || key === "" ? text : text.split(key).join("<redacted>")) as T
}

export class ElectricityMaps extends Effect.Service<ElectricityMaps>()("carbon-poller/ElectricityMaps", {
  effect: Effect.gen(function* () {
    const settings = yield* PollerConfig
    const redact = redactKey(settings)
    const limiter = yield* RequestRateLimiter
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest((request) =>
        request.pipe(
          HttpClientRequest.prependUrl(settings.apiUrl),
          HttpClientRequest.setHeader("auth-token", Redacted.value(settings.apiKey)),
          HttpClientRequest.acceptJson
        )
      )
    )

    /** One attempt: request, status, bounded body, all under the per-request timeout. */
    const attempt = <A>(
      zone: string | undefined,
      request: HttpClientRequest.HttpClientRequest,
      onBody: (text: string, response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, ApiError>
    ): Effect.Effect<A, ApiError> =>
      Effect.gen(function* () {
        const response = yield* client.execute(request).pipe(
          Effect.mapError(
            (cause) =>
              new ApiError({ zone, reason: "Transport", apiMessage: redact(cause.reason === "Transport" ? String(cause.cause ?? cause.message) : cause.message), cause })
          )
        )
        if (response.status >= 200 && response.status < 300) {
          // Redacted before decoding: an answer that echoes the key must not carry it into the cache.
          const text = redact(yield* readBoundedText(response, settings.maxResponseBytes, zone))
          return yield* onBody(text, response)
        }
        const errorText = yield* readBoundedText(response, MAX_ERROR_BODY_BYTES, zone).pipe(
          Effect.orElseSucceed(() => "")
        )
        const apiMessage = redact(summarizeErrorBody(errorText))
        const now = yield* Clock.currentTimeMillis
        return yield* new ApiError({
          zone,
          reason: reasonForStatus(response.status, apiMessage),
          status: response.status,
          apiMessage,
          retryAfter: Option.getOrUndefined(
            parseRetryAfter(response.headers["retry-after"], now, settings.retryMaxDelay)
          )
        })
      }).pipe(
        Effect.timeoutFail({
          duration: settings.requestTimeout,
          onTimeout: () => new ApiError({ zone, reason: "Timeout", apiMessage: `no complete answer within ${Duration.format(settings.requestTimeout)}` })
        })
      )

    const withRetries = <A>(zone: string | undefined, effect: Effect.Effect<A, ApiError>) =>
      limiter.throttle(effect).pipe(
        Effect.retry(
          retryPolicy(settings).pipe(
            Schedule.tapInput((error: ApiError) =>
              Effect.logDebug(`retrying: ${error.message}`).pipe(
                Effect.zipRight(
                  Metrics.increment(Metrics.retries, { zone: zone ?? "(zones)", reason: error.reason })
                )
              )
            )
          )
        )
      )

    /** The latest carbon intensity of one zone; `NoData` when the API has no number for it. */
    const latest = (zone: string): Effect.Effect<UsableReading, ApiError> =>
      withRetries(
        zone,
        attempt(
          zone,
          HttpClientRequest.get("/carbon-intensity/latest", {
            urlParams: { zone, emissionFactorType: settings.emissionFactorType }
          }),
          (text, response) =>
            Either.match(decodeLatest(text), {
              onLeft: (problem) =>
                Effect.fail(new ApiError({ zone, reason: "BadResponse", status: response.status, apiMessage: redact(`unexpected answer: ${problem}`) })),
              onRight: (reading) =>
                reading.carbonIntensity === null
                  ? Effect.fail(new ApiError({ zone, reason: "NoData", status: response.status, apiMessage: "carbonIntensity is null" }))
                  : Effect.succeed({ ...reading, carbonIntensity: reading.carbonIntensity })
            })
        )
      ).pipe(Effect.withSpan("ElectricityMaps.latest", { attributes: { zone } }))

    /** `GET /zones`: every zone key the API knows, with `access` when the key is valid. */
    const zones: Effect.Effect<ZoneCatalog, ApiError> = withRetries(
      undefined,
      attempt(undefined, HttpClientRequest.get("/zones"), (text, response) =>
        Either.match(decodeCatalog(text), {
          onLeft: (problem) =>
            Effect.fail(new ApiError({ zone: undefined, reason: "BadResponse", status: response.status, apiMessage: redact(`unexpected answer: ${problem}`) })),
          onRight: Effect.succeed
        })
      )
    ).pipe(Effect.withSpan("ElectricityMaps.zones"))

    return { latest, zones } as const
  })
}) {}
