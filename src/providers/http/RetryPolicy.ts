/**
 * When to try a failed request again within the same poll: only transient
 * failures, a bounded number of times, with exponential backoff and jitter, and as long as the
 * server's `Retry-After` asks (capped) when it sends one.
 */
import { Duration, Schedule } from "effect"

export interface RetrySettings {
  /** Retries after the first attempt: 3 means at most 4 attempts. */
  readonly maxRetries: number
  readonly retryBaseDelay: Duration.Duration
  /** Upper bound of one backoff step and of an honoured `Retry-After`. */
  readonly retryMaxDelay: Duration.Duration
}

/** What the policy needs to know about a failure. */
export interface Retryable {
  readonly isTransient: boolean
  readonly retryAfter?: Duration.Duration | undefined
}

/** Outputs the failure it decided on, so a caller can say what is retried, and only then. */
export const retryPolicy = <E extends Retryable>(settings: RetrySettings): Schedule.Schedule<E, E> =>
  Schedule.exponential(settings.retryBaseDelay, 2).pipe(
    // Jitter reads the `Random` service, so tests make it deterministic by providing one.
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, settings.retryMaxDelay)),
    Schedule.intersect(Schedule.recurs(settings.maxRetries)),
    Schedule.intersect(Schedule.identity<E>()),
    Schedule.whileInput((error: E) => error.isTransient),
    Schedule.modifyDelay(([, error], delay) => error.retryAfter ?? delay),
    Schedule.map(([, error]) => error)
  )
