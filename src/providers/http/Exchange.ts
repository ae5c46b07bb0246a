/**
 * One request to a provider and its answer, under the per-request timeout: the status, the body
 * (size-capped), one redacted line of what a refusal said, and a capped `Retry-After`. What a
 * status means is the adapter's to say; this module only makes sure every request is bounded in
 * time and size and that nothing a provider sends reaches a message unredacted.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Clock, Duration, Effect, Option } from "effect"
import { HttpFailure, readBoundedText, summarizeErrorBody } from "./ResponseBody.js"
import { parseRetryAfter } from "./RetryPolicy.js"
import { describeTransport } from "./TransportProblem.js"

/** Error bodies are only read for their message; a small cap keeps a hostile one cheap. */
const MAX_ERROR_BODY_BYTES = 16 * 1024

export interface ExchangeLimits {
  /** The provider's base URL, named when no connection could be made. */
  readonly baseUrl: string
  readonly requestTimeout: Duration.Duration
  readonly maxResponseBytes: number
  /** Cap on an honoured `Retry-After`. */
  readonly retryMaxDelay: Duration.Duration
}

export interface Answer {
  readonly status: number
  readonly ok: boolean
  /** The whole body of a 2xx answer; at most 16 KiB of any other (empty if it could not be read). */
  readonly text: string
  /** For a non-2xx answer: one line of what the provider said, redacted; undefined if it said nothing. */
  readonly said: string | undefined
  readonly retryAfter: Duration.Duration | undefined
}

export const exchange = (
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  limits: ExchangeLimits,
  redact: (text: string) => string
): Effect.Effect<Answer, HttpFailure> =>
  Effect.gen(function*() {
    const response = yield* client.execute(request).pipe(
      Effect.mapError((cause) =>
        new HttpFailure({
          reason: "Transport",
          message: redact(
            cause.reason === "Transport"
              ? describeTransport(cause.cause, limits.baseUrl, String(cause.cause ?? cause.message))
              : cause.message
          ),
          cause
        })
      )
    )
    const status = response.status
    if (status >= 200 && status < 300) {
      const text = yield* readBoundedText(response, limits.maxResponseBytes)
      return { status, ok: true, text, said: undefined, retryAfter: undefined }
    }
    const text = yield* readBoundedText(response, MAX_ERROR_BODY_BYTES).pipe(Effect.orElseSucceed(() => ""))
    const now = yield* Clock.currentTimeMillis
    return {
      status,
      ok: false,
      text,
      said: summarizeErrorBody(text, redact),
      retryAfter: Option.getOrUndefined(parseRetryAfter(response.headers["retry-after"], now, limits.retryMaxDelay))
    }
  }).pipe(
    Effect.timeoutFail({
      duration: limits.requestTimeout,
      onTimeout: () =>
        new HttpFailure({
          reason: "Timeout",
          message: `no complete answer within ${Duration.format(limits.requestTimeout)}`
        })
    })
  )
