/**
 * How every adapter calls its provider's JSON API: the client shaped once (base URL, JSON,
 * identity encoding, our user-agent, no tracing headers to a third party), and each call made of
 * attempts that have a timeout, a bounded body and a typed error, retried by one policy.
 * The adapter brings its error type, its status reading, its redaction and its answers' decoding.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Clock, Duration, Effect, type Either, Option, Schedule, ScheduleDecision } from "effect"
import * as Metrics from "../../observability/Metrics.js"
import { NAME, VERSION } from "../../platform/Version.js"
import type { SourceError, SourceFailureReason } from "../../ports/CarbonSource.js"
import { type CallFailureFields, parseRetryAfter, summarizeErrorBody } from "./CallFailure.js"
import { readBoundedText } from "./ResponseBody.js"
import { retryPolicy, type RetrySettings } from "./RetryPolicy.js"

/** Error bodies are only read for their message; a small cap keeps a hostile one cheap. */
const MAX_ERROR_BODY_BYTES = 16 * 1024

export interface CallSettings extends RetrySettings {
  readonly requestTimeout: Duration.Duration
  readonly maxResponseBytes: number
}

/**
 * The client for one provider: every request goes to `baseUrl` with the JSON headers and
 * `headers` (credentials, when the provider takes any), and carries no `traceparent`/`b3`.
 */
export const shapeClient = (
  client: HttpClient.HttpClient,
  baseUrl: string,
  headers: Readonly<Record<string, string>> = {}
): HttpClient.HttpClient =>
  client.pipe(
    HttpClient.mapRequest((request) =>
      request.pipe(
        HttpClientRequest.prependUrl(baseUrl),
        HttpClientRequest.setHeaders({
          ...headers,
          accept: "application/json",
          // Compressed answers are refused rather than decoded: the size cap counts what is read.
          "accept-encoding": "identity",
          "user-agent": `${NAME}/${VERSION}`
        })
      )
    ),
    HttpClient.withTracerPropagation(false)
  )

export interface CallDeps {
  /** Shaped with `shapeClient`. */
  readonly client: HttpClient.HttpClient
  readonly settings: CallSettings
  readonly makeError: (failure: CallFailureFields) => SourceError
  /** The reason of a non-2xx answer, given what the provider said. */
  readonly reasonForStatus: (status: number, providerMessage: string | undefined) => SourceFailureReason
  /**
   * What a request that got no HTTP answer means, in words (`raw` is Node's own text); `raw`
   * itself by default.
   */
  readonly describeTransport?: (cause: unknown, raw: string) => string
  /** Applied to every text taken from the network before it goes into an error. */
  readonly redactText: (text: string) => string
  /** Holds each attempt, retries included, to a request rate; none by default. */
  readonly throttle?: <A, E2>(effect: Effect.Effect<A, E2>) => Effect.Effect<A, E2>
  /** The `zone` label of the retries metric for a call about `zone` (undefined: the catalogue). */
  readonly metricZone: (zone: string | undefined) => string
}

export interface ProviderCalls {
  /** One attempt: request, status, bounded body, all under the per-request timeout. */
  readonly attempt: <A>(
    zone: string | undefined,
    request: HttpClientRequest.HttpClientRequest,
    onBody: (text: string, status: number) => Either.Either<A, SourceError>
  ) => Effect.Effect<A, SourceError>
  /** Attempts again as the retry policy allows. */
  readonly withRetries: <A>(
    zone: string | undefined,
    effect: Effect.Effect<A, SourceError>
  ) => Effect.Effect<A, SourceError>
  /** A 2xx whose body is not what was expected; `problem` says what was wrong. */
  readonly badResponse: (zone: string | undefined, status: number, problem: string) => SourceError
}

export const makeProviderCalls = (deps: CallDeps): ProviderCalls => {
  const { makeError, redactText, settings } = deps
  const describeTransport = deps.describeTransport ?? ((_cause: unknown, raw: string) => raw)

  const attempt = <A>(
    zone: string | undefined,
    request: HttpClientRequest.HttpClientRequest,
    onBody: (text: string, status: number) => Either.Either<A, SourceError>
  ): Effect.Effect<A, SourceError> =>
    Effect.gen(function*() {
      const response = yield* deps.client.execute(request).pipe(
        Effect.mapError((cause) =>
          makeError({
            zone,
            reason: "Transport",
            providerMessage: redactText(
              cause.reason === "Transport"
                ? describeTransport(cause.cause, String(cause.cause ?? cause.message))
                : cause.message
            ),
            cause
          })
        )
      )
      if (response.status >= 200 && response.status < 300) {
        const text = yield* readBoundedText(response, settings.maxResponseBytes, zone, makeError)
        return yield* onBody(text, response.status)
      }
      const errorText = yield* readBoundedText(response, MAX_ERROR_BODY_BYTES, zone, makeError).pipe(
        Effect.orElseSucceed(() => "")
      )
      const providerMessage = Option.getOrUndefined(
        Option.map(Option.fromNullable(summarizeErrorBody(errorText)), redactText)
      )
      const now = yield* Clock.currentTimeMillis
      return yield* Effect.fail(makeError({
        zone,
        reason: deps.reasonForStatus(response.status, providerMessage),
        status: response.status,
        providerMessage,
        retryAfter: Option.getOrUndefined(parseRetryAfter(response.headers["retry-after"], now, settings.retryMaxDelay))
      }))
    }).pipe(
      Effect.timeoutFail({
        duration: settings.requestTimeout,
        onTimeout: () =>
          makeError({
            zone,
            reason: "Timeout",
            providerMessage: `no complete answer within ${Duration.format(settings.requestTimeout)}`
          })
      })
    )

  const throttle = deps.throttle ?? (<A, E2>(effect: Effect.Effect<A, E2>) => effect)

  const withRetries = <A>(
    zone: string | undefined,
    effect: Effect.Effect<A, SourceError>
  ): Effect.Effect<A, SourceError> =>
    throttle(effect).pipe(
      Effect.retry(
        retryPolicy(settings).pipe(
          // Said only when the policy decided to try again: not for permanent failures, and not
          // for the last transient one.
          Schedule.onDecision((error, decision) =>
            ScheduleDecision.isContinue(decision)
              ? Effect.logDebug(`retrying: ${error.message}`).pipe(
                Effect.zipRight(
                  Metrics.increment(Metrics.retries, { zone: deps.metricZone(zone), reason: error.reason })
                )
              )
              : Effect.void
          )
        )
      )
    )

  const badResponse = (zone: string | undefined, status: number, problem: string): SourceError =>
    makeError({ zone, reason: "BadResponse", status, providerMessage: redactText(`unexpected answer: ${problem}`) })

  return { attempt, withRetries, badResponse }
}
