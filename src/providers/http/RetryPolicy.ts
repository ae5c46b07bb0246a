/**
 * When to try a failed request again within the same poll: only transient
 * failures, a bounded number of times, with exponential backoff and jitter, and as long as the
 * server's `Retry-After` asks (capped) when it sends one.
 */
import { Duration, Schedule } from "effect"
import type { SourceError } from "../../ports/CarbonSource.js"
import { isTransient } from "./CallFailure.js"

export interface RetrySettings {
  /** Retries after the first attempt: 3 means at most 4 attempts. */
  readonly maxRetries: number
  readonly retryBaseDelay: Duration.Duration
  /** Upper bound of one backoff step and of an honoured `Retry-After`. */
  readonly retryMaxDelay: Duration.Duration
}

/** Outputs the failure it decided on, so a caller can say what is retried, and only then. */
export const retryPolicy = (settings: RetrySettings): Schedule.Schedule<SourceError, SourceError> =>
  Schedule.exponential(settings.retryBaseDelay, 2).pipe(
    // Jitter reads the `Random` service, so tests make it deterministic by providing one.
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, settings.retryMaxDelay)),
    Schedule.intersect(Schedule.recurs(settings.maxRetries)),
    Schedule.intersect(Schedule.identity<SourceError>()),
    Schedule.whileInput(isTransient),
    Schedule.modifyDelay(([, error], delay) => error.retryAfter ?? delay),
    Schedule.map(([, error]) => error)
  )
