/**
 * An optional ceiling on requests per second to Electricity Maps (`MAX_REQUESTS_PER_SECOND`), so a
 * long zone list stays inside an API plan's rate limit. Off (a pass-through) by default.
 */
import { Effect } from "effect"
import { ApiConfig } from "../../config/ApiConfig.js"
import { makeThrottle } from "../http/Throttle.js"

export class RequestRateLimiter extends Effect.Service<RequestRateLimiter>()("carbon-poller/RequestRateLimiter", {
  scoped: Effect.gen(function*() {
    const { maxRequestsPerSecond } = yield* ApiConfig
    return { throttle: yield* makeThrottle(maxRequestsPerSecond) } as const
  })
}) {}
