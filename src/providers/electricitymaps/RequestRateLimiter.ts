/**
 * An optional ceiling on requests per second to Electricity Maps (`MAX_REQUESTS_PER_SECOND`), so a
 * long zone list stays inside an API plan's rate limit. Every attempt, retries included, takes a
 * permit. Built on Effect's token-bucket `RateLimiter`; off (a pass-through) by default.
 */
import { Duration, Effect, RateLimiter } from "effect"
import { ApiConfig } from "../../config/ApiConfig.js"

export class RequestRateLimiter extends Effect.Service<RequestRateLimiter>()("carbon-poller/RequestRateLimiter", {
  scoped: Effect.gen(function*() {
    const { maxRequestsPerSecond } = yield* ApiConfig
    if (maxRequestsPerSecond <= 0) {
      return { throttle: <A, E, R>(effect: Effect.Effect<A, E, R>) => effect } as const
    }
    // One permit every 1/R seconds. A bucket of R permits refilled each second lets any one-second
    // window see nearly 2R requests (the benchmark measured 186 at R = 100); a bucket of one
    // cannot burst, and fractional rates (0.5/s = one every 2 s) come out exact.
    const limiter = yield* RateLimiter.make({
      limit: 1,
      interval: Duration.millis(1000 / maxRequestsPerSecond),
      algorithm: "token-bucket"
    })
    return { throttle: <A, E, R>(effect: Effect.Effect<A, E, R>) => limiter(effect) } as const
  })
}) {}
