/**
 * An optional ceiling on requests per second to Electricity Maps (`MAX_REQUESTS_PER_SECOND`), so a
 * long zone list stays inside an API plan's rate limit. Every attempt, retries included, takes a
 * permit. Built on Effect's token-bucket `RateLimiter`; off (a pass-through) by default.
 */
import { Effect, RateLimiter } from "effect"
import { PollerConfig } from "./Config.js"

export class RequestRateLimiter extends Effect.Service<RequestRateLimiter>()("carbon-poller/RequestRateLimiter", {
  scoped: Effect.gen(function* () {
    const { maxRequestsPerSecond } = yield* PollerConfig
    if (maxRequestsPerSecond <= 0) {
      return { throttle: <A, E, R>(effect: Effect.Effect<A, E, R>) => effect } as const
    }
    // A whole number of permits per window keeps fractional rates (0.5/s = 1 per 2 s) exact.
    const limit = Math.max(1, Math.round(maxRequestsPerSecond))
    const limiter = yield* RateLimiter.make({
      limit,
      interval: `${(limit / maxRequestsPerSecond) * 1000} millis`,
      algorithm: "token-bucket"
    })
    return { throttle: <A, E, R>(effect: Effect.Effect<A, E, R>) => limiter(effect) } as const
  })
}) {}
