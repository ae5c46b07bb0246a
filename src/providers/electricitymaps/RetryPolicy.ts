/**
 * When to try a failed request again within the same poll: only transient
 * failures, a bounded number of times, with exponential backoff and jitter, and as long as the
 * server's `Retry-After` asks (capped) when it sends one.
 */
import { Duration, Schedule } from "effect"
import type { ApiSettings } from "../../config/ApiConfig.js"
import type { SourceError } from "../../ports/CarbonSource.js"
import { isTransient } from "./ApiError.js"

type RetrySettings = Pick<ApiSettings, "maxRetries" | "retryBaseDelay" | "retryMaxDelay">

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
