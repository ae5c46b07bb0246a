/**
 * When to try a failed request again within the same poll, for any provider: only transient
 * failures, a bounded number of times, with exponential backoff and jitter, and as long as the
 * server's `Retry-After` asks (capped) when it sends one.
 */
import { Duration, Effect, Option, Schedule, ScheduleDecision } from "effect"
import * as Metrics from "../../observability/Metrics.js"
import type { FailureReason, SourceFailureReason } from "../../ports/CarbonSource.js"
import type { Throttle } from "./Throttle.js"

export interface RetrySettings {
  /** Retries after the first attempt. */
  readonly maxRetries: number
  readonly retryBaseDelay: Duration.Duration
  /** Upper bound of one backoff step and of an honoured `Retry-After`. */
  readonly retryMaxDelay: Duration.Duration
}

/** What the policy needs to know about a failure. */
export interface Retryable {
  readonly reason: FailureReason
  /** From a `Retry-After` header, already capped. */
  readonly retryAfter?: Duration.Duration | undefined
}

const TRANSIENT: ReadonlySet<FailureReason> = new Set<SourceFailureReason>([
  "RateLimited", // 429
  "ServerError", // 5xx, including a proxy's HTML 502
  "RequestTimeout", // 408
  "Timeout", // our own per-request timeout
  "Transport" // connection refused, reset, DNS
])

/** Failures that may pass by themselves within a poll: worth another attempt. */
export const isTransientReason = (reason: FailureReason): boolean => TRANSIENT.has(reason)

export const isTransient = (error: Retryable): boolean => isTransientReason(error.reason)

/** Outputs the failure it decided on, so a caller can say what is retried, and only then. */
export const retryPolicy = <E extends Retryable>(settings: RetrySettings): Schedule.Schedule<E, E> =>
  Schedule.exponential(settings.retryBaseDelay, 2).pipe(
    // Jitter reads the `Random` service, so tests make it deterministic by providing one.
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, settings.retryMaxDelay)),
    Schedule.intersect(Schedule.recurs(settings.maxRetries)),
    Schedule.intersect(Schedule.identity<E>()),
    Schedule.whileInput((error: E) => isTransientReason(error.reason)),
    Schedule.modifyDelay(([, error], delay) => error.retryAfter ?? delay),
    Schedule.map(([, error]) => error)
  )

/**
 * `effect` with a permit of the throttle for every attempt, retried by the policy. A retry is
 * logged (debug) and counted under `zoneLabel` only when the policy decided to try again: not
 * for permanent failures, and not for the last transient one.
 */
export const retrying = <E extends Retryable & { readonly message: string }>(
  settings: RetrySettings,
  throttle: Throttle
) =>
<A, R>(zoneLabel: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  throttle(effect).pipe(
    Effect.retry(
      retryPolicy<E>(settings).pipe(
        Schedule.onDecision((error, decision) =>
          ScheduleDecision.isContinue(decision)
            ? Effect.logDebug(`retrying: ${error.message}`).pipe(
              Effect.zipRight(Metrics.increment(Metrics.retries, { zone: zoneLabel, reason: error.reason }))
            )
            : Effect.void
        )
      )
    )
  )

/**
 * `Retry-After` as seconds or as an HTTP date (relative to `now`), capped; none when absent,
 * unparsable or in the past.
 */
export const parseRetryAfter = (
  header: string | undefined,
  now: number,
  cap: Duration.Duration
): Option.Option<Duration.Duration> => {
  if (header === undefined) return Option.none()
  const value = header.trim()
  let millis: number
  if (/^\d+$/.test(value)) {
    millis = Number(value) * 1000
  } else {
    const date = Date.parse(value)
    if (Number.isNaN(date)) return Option.none()
    millis = date - now
  }
  if (millis <= 0) return Option.none()
  return Option.some(Duration.min(Duration.millis(millis), cap))
}
