/**
 * The poll loop, for the life of the layer: the first poll at once, then one every
 * `POLL_INTERVAL_MINUTES` at a fixed rate on the monotonic clock (see PollSchedule), each asking
 * the zone check for the current plan. In cluster mode only the leader polls, and a replica that
 * becomes the leader polls at once.
 */
import { Clock, Duration, Effect, Layer, Stream } from "effect"
import { PollingConfig } from "../config/PollingConfig.js"
import { Forecasts } from "../forecast/Forecasts.js"
import { Leadership } from "../ports/Leadership.js"
import { Poller } from "./Poller.js"
import { fixedRateFrom, monotonicMillis } from "./PollSchedule.js"
import { PollStatus } from "./PollStatus.js"
import { ZoneCheck } from "./ZoneCheck.js"

export const layer = Layer.scopedDiscard(Effect.gen(function*() {
  const polling = yield* PollingConfig
  const zoneCheck = yield* ZoneCheck
  const poller = yield* Poller
  const forecasts = yield* Forecasts
  const leadership = yield* Leadership
  const status = yield* PollStatus
  // One poll at a time, whoever starts it (the cadence, or a takeover).
  const oneAtATime = yield* Effect.makeSemaphore(1)
  const poll = oneAtATime.withPermits(1)(
    Effect.flatMap(zoneCheck.current, (plan) => poller.pollOnce(plan.pollable, plan.excluded, plan.chains))
  )
  // A replica that becomes leader starts from the published cache, polls at once rather than at
  // its next tick (a takeover must not wait a whole interval), and refreshes the forecasts.
  yield* Effect.forkScoped(
    Stream.runForEach(
      leadership.becameLeader,
      () => poller.reseed.pipe(Effect.zipRight(Effect.forkScoped(forecasts.refresh)), Effect.zipRight(poll))
    )
  )
  const firstStart = yield* monotonicMillis
  const cadence = fixedRateFrom(Duration.millis(polling.pollIntervalMinutes * 60_000), firstStart)
  // Only the leader asks the provider; a follower's loop still ticks, so liveness holds.
  const tick = Effect.flatMap(
    leadership.isLeader,
    (leads) => leads ? poll : Effect.flatMap(Clock.currentTimeMillis, status.pollStarted)
  )
  yield* Effect.forkScoped(Effect.repeat(tick, cadence))
}))
