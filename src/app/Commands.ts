/**
 * The service's commands over its services: the long-running poll loop, `--once`, and `zones`.
 */
import type * as HttpServer from "@effect/platform/HttpServer"
import { Clock, Console, Duration, Effect, Layer, Option, Redacted, type Scope, Stream } from "effect"
import { ApiConfig } from "../config/ApiConfig.js"
import { CacheConfig } from "../config/CacheConfig.js"
import { ConfigWarnings } from "../config/Configuration.js"
import { HttpConfig } from "../config/HttpConfig.js"
import { PollingConfig } from "../config/PollingConfig.js"
import { Forecasts } from "../forecast/Forecasts.js"
import { Poller } from "../poll/Poller.js"
import { fixedRateFrom, monotonicMillis } from "../poll/PollSchedule.js"
import { PollStatus } from "../poll/PollStatus.js"
import * as RunMode from "../poll/RunMode.js"
import { listZones, ZoneCheck } from "../poll/ZoneCheck.js"
import { Leadership } from "../ports/Leadership.js"
import { VERSION } from "../Version.js"
import { endpointsLayer } from "./AppLayer.js"
import { NoCacheWritten, NoZoneMatches } from "./FatalError.js"

const logStart = Effect.gen(function*() {
  const api = yield* ApiConfig
  const cache = yield* CacheConfig
  const polling = yield* PollingConfig
  for (const warning of yield* ConfigWarnings) yield* Effect.logWarning(warning)
  yield* Effect.log(
    `carbon-poller ${VERSION} starting: ${polling.zones.length} zones every ${polling.pollIntervalMinutes} min, TTL ${cache.cacheTtlMinutes} min, cache ${cache.cacheFile}, API ${api.apiUrl}`
  ).pipe(
    Effect.annotateLogs({
      zones: polling.zones.join(","),
      api_url: api.apiUrl,
      // Says a key is configured without saying anything about it.
      api_key: Redacted.value(api.apiKey) === "" ? "(none)" : "<redacted>",
      emission_factor_type: api.emissionFactorType,
      max_concurrency: polling.maxConcurrency
    })
  )
})

/**
 * One poll, then exit: 0 when a cache was written, 1 (with the reason) when not. Nothing it logs
 * promises a next poll.
 */
export const pollOnceAndExit = RunMode.once(Effect.gen(function*() {
  yield* logStart
  const plan = yield* (yield* ZoneCheck).atStart
  // One run, one file: the forecasts are asked for first so the file has them.
  const forecasts = yield* Forecasts
  yield* forecasts.usePlan(plan)
  yield* forecasts.refresh
  const summary = yield* (yield* Poller).pollOnce(plan.pollable, plan.excluded)
  if (Option.isNone(summary.written)) return yield* new NoCacheWritten({ summary })
}))

/**
 * First poll at once, then one every `POLL_INTERVAL_MINUTES` at a fixed rate (see PollSchedule).
 * `alongside` starts what lives as long as the loop (the demo's table) before anything else.
 */
export const pollForever = <E = never, R = never>(
  alongside: Effect.Effect<unknown, E, R | Scope.Scope> = Effect.void
) =>
  Effect.gen(function*() {
    const polling = yield* PollingConfig
    yield* alongside
    yield* logStart
    const zoneCheck = yield* ZoneCheck
    const poller = yield* Poller
    const forecasts = yield* Forecasts
    const leadership = yield* Leadership
    const status = yield* PollStatus
    const plan = yield* zoneCheck.atStart
    yield* forecasts.startRefreshing(plan)
    // One poll at a time, whoever starts it (the cadence, or a takeover).
    const oneAtATime = yield* Effect.makeSemaphore(1)
    const poll = oneAtATime.withPermits(1)(
      Effect.flatMap(zoneCheck.current, (plan) => poller.pollOnce(plan.pollable, plan.excluded))
    )
    // A replica that becomes leader starts from the published cache, polls at once rather than at
    // its next tick (a takeover must not wait a whole interval), and refreshes the forecasts.
    yield* Effect.forkScoped(
      Stream.runForEach(leadership.becameLeader, () =>
        poller.reseed.pipe(Effect.zipRight(Effect.forkScoped(forecasts.refresh)), Effect.zipRight(poll)))
    )
    const firstStart = yield* monotonicMillis
    const cadence = fixedRateFrom(Duration.millis(polling.pollIntervalMinutes * 60_000), firstStart)
    // Only the leader asks the provider; a follower's loop still ticks, so liveness holds.
    const tick = Effect.flatMap(
      leadership.isLeader,
      (leads) =>
        leads ? poll : Effect.flatMap(Clock.currentTimeMillis, status.pollStarted)
    )
    return yield* tick.pipe(Effect.repeat(cadence), Effect.zipRight(Effect.never))
  }).pipe(Effect.scoped)

/**
 * The service: endpoints first (probes get an answer while a slow catalogue holds up the zone
 * check), then the poll loop. `HTTP_PORT=0` runs without endpoints.
 */
export const serve = <E, R>(server: Layer.Layer<HttpServer.HttpServer, E, R>) => pollForever(startEndpoints(server))

/** The endpoints for the life of the enclosing scope; nothing at all with `HTTP_PORT=0`. */
export const startEndpoints = <E, R>(server: Layer.Layer<HttpServer.HttpServer, E, R>) =>
  Effect.flatMap(HttpConfig, (http) => http.httpPort === 0 ? Effect.void : Layer.build(endpointsLayer(server)))

/** The `zones` command: keys and names matching a word; exits 1 when none matches. */
export const printZones = (search: string | undefined) =>
  Effect.gen(function*() {
    const lines = yield* listZones(search)
    if (lines.length === 0) return yield* new NoZoneMatches({ search })
    yield* Console.log(lines.join("\n"))
  })
