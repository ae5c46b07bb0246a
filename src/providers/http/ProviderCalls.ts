/**
 * How an adapter whose failures are the port's `SourceError` calls its provider's JSON API: the
 * client shaped once (base URL, JSON, identity encoding, our user-agent, no tracing headers to a
 * third party, the provider's own headers), and each call made of `exchange` attempts retried by
 * one policy. The adapter brings its wording of errors, its reading of statuses, its redaction and
 * its answers' decoding. (WattTime, whose refusals depend on the login step, uses `exchange` and
 * `retrying` directly.)
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { type Duration, Effect, type Either } from "effect"
import type { ProviderId } from "../../domain/Provider.js"
import * as Metrics from "../../observability/Metrics.js"
import { NAME, VERSION } from "../../platform/Version.js"
import type { SourceError, SourceFailureReason } from "../../ports/CarbonSource.js"
import { exchange } from "./Exchange.js"
import { retrying, type RetrySettings } from "./RetryPolicy.js"
import type { Throttle } from "./Throttle.js"

/** What any adapter knows about a failed call before it words it as the port's `SourceError`. */
export interface CallFailureFields {
  /** The zone asked for, or undefined for a catalogue. */
  readonly zone: string | undefined
  readonly reason: SourceFailureReason
  readonly status?: number | undefined
  /** What the provider said, one line, already redacted. */
  readonly providerMessage?: string | undefined
  /** From a `Retry-After` header, already capped. */
  readonly retryAfter?: Duration.Duration | undefined
  readonly cause?: unknown
}

/** `<subject>: <reason> (HTTP <status>): <what the provider said> — <hint>`: every adapter's log line. */
export const describeFailure = (subject: string, failure: CallFailureFields, hint: string | undefined): string => {
  const status = failure.status === undefined ? "" : ` (HTTP ${failure.status})`
  const said = failure.providerMessage ? `: ${failure.providerMessage}` : ""
  return `${subject}: ${failure.reason}${status}${said}${hint ? ` — ${hint}` : ""}`
}

/** The reason for a non-2xx status by HTTP semantics alone; an adapter refines it with the body where its API needs. */
export const reasonForStatus = (status: number): SourceFailureReason => {
  if (status === 400) return "BadRequest"
  if (status === 401) return "Unauthorized"
  if (status === 403) return "Forbidden"
  if (status === 404) return "ZoneNotFound"
  if (status === 408) return "RequestTimeout"
  if (status === 429) return "RateLimited"
  if (status >= 500 && status <= 599) return "ServerError"
  return "BadResponse"
}

/** How a provider's requests are counted in `carbon_poller_provider_calls_total`. */
export interface CountedAs {
  readonly provider: ProviderId
  /** What a request is for, from its URL (the base URL already prepended) and its parameters. */
  readonly kindOf: (request: HttpClientRequest.HttpClientRequest) => Metrics.ProviderCallKind
}

export interface CallSettings extends RetrySettings {
  readonly requestTimeout: Duration.Duration
  readonly maxResponseBytes: number
}

/**
 * The client for one provider: every request goes to `baseUrl` with the JSON headers and
 * `headers` (credentials, when the provider takes any), and carries no `traceparent`/`b3`.
 * Credentials are added here and only here, so they reach no other base URL.
 */
export const shapeClient = (
  client: HttpClient.HttpClient,
  baseUrl: string,
  counted: CountedAs,
  headers: Readonly<Record<string, string>> = {}
): HttpClient.HttpClient =>
  client.pipe(
    // Every request sent, retries and logins included: what the provider's quota is spent on.
    HttpClient.tapRequest((request) =>
      Metrics.increment(Metrics.providerCalls, { provider: counted.provider, kind: counted.kindOf(request) })
    ),
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
  /** Shaped with `shapeClient` over `baseUrl`. */
  readonly client: HttpClient.HttpClient
  readonly baseUrl: string
  readonly settings: CallSettings
  readonly makeError: (failure: CallFailureFields) => SourceError
  /** The reason of a non-2xx answer, given what the provider said. */
  readonly reasonForStatus: (status: number, providerMessage: string | undefined) => SourceFailureReason
  /** Applied to every text taken from the network before it goes into an error. */
  readonly redactText: (text: string) => string
  /** Holds each attempt, retries included, to a request rate; none by default. */
  readonly throttle?: Throttle | undefined
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
  /** Attempts again as the retry policy allows, each attempt with a permit of the throttle. */
  readonly withRetries: <A>(
    zone: string | undefined,
    effect: Effect.Effect<A, SourceError>
  ) => Effect.Effect<A, SourceError>
  /** A 2xx whose body is not what was expected; `problem` says what was wrong. */
  readonly badResponse: (zone: string | undefined, status: number, problem: string) => SourceError
}

export const makeProviderCalls = (deps: CallDeps): ProviderCalls => {
  const { makeError, redactText, settings } = deps
  const limits = { ...settings, baseUrl: deps.baseUrl }

  const attempt = <A>(
    zone: string | undefined,
    request: HttpClientRequest.HttpClientRequest,
    onBody: (text: string, status: number) => Either.Either<A, SourceError>
  ): Effect.Effect<A, SourceError> =>
    exchange(deps.client, request, limits, redactText).pipe(
      Effect.mapError((failure) =>
        makeError({
          zone,
          reason: failure.reason,
          status: failure.status,
          providerMessage: failure.message,
          cause: failure.cause
        })
      ),
      Effect.flatMap((answer) =>
        answer.ok ? onBody(answer.text, answer.status) : Effect.fail(makeError({
          zone,
          reason: deps.reasonForStatus(answer.status, answer.said),
          status: answer.status,
          providerMessage: answer.said,
          retryAfter: answer.retryAfter
        }))
      )
    )

  const retry = retrying<SourceError>(settings, deps.throttle ?? ((effect) => effect))
  const withRetries = <A>(zone: string | undefined, effect: Effect.Effect<A, SourceError>) =>
    retry(deps.metricZone(zone), effect)

  const badResponse = (zone: string | undefined, status: number, problem: string): SourceError =>
    makeError({ zone, reason: "BadResponse", status, providerMessage: redactText(`unexpected answer: ${problem}`) })

  return { attempt, withRetries, badResponse }
}
