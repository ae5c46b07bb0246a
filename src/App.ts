/**
 * The service's commands over its services: the long-running poll loop, `--once`, and `zones`.
 * Layers are composed here once; `main.ts` only adds the Node platform and runs.
 */
import type { Teardown } from "@effect/platform/Runtime"
import { Cause, Clock, Console, Data, Duration, Effect, Exit, Layer, Option, type Scope } from "effect"
import type { ApiError } from "./ApiError.js"
import { CacheStore } from "./CacheStore.js"
import { USAGE, type Command } from "./Cli.js"
import { PollerConfig } from "./Config.js"
import { ElectricityMaps } from "./ElectricityMaps.js"
import * as HttpEndpoints from "./HttpEndpoints.js"
import { PrometheusMetrics } from "./MetricsExport.js"
import { Poller } from "./Poller.js"
import { fixedRateFrom } from "./PollSchedule.js"
import { PollStatus } from "./PollStatus.js"
import { RequestRateLimiter } from "./RequestRateLimiter.js"
import { checkConfiguredZones, listZones, type NoValidZones } from "./ZoneCheck.js"

export class NoCacheWritten extends Data.TaggedError("NoCacheWritten")<{ readonly reasons: ReadonlyArray<string> }> {
  override get message(): string {
    return `--once: no cache was written (${this.reasons.join("; ") || "no usable zone"})`
  }
}

export class UsageError extends Data.TaggedError("UsageError")<{ readonly detail: string }> {
  override get message(): string {
    return `${this.detail}\n${USAGE}`
  }
}

/** Everything but the platform (HTTP client, filesystem, path) and the configuration. */
export const ServicesLayer = Poller.Default.pipe(
  Layer.provideMerge(Layer.mergeAll(ElectricityMaps.Default, CacheStore.Default, PollStatus.Default, PrometheusMetrics.Default)),
  Layer.provideMerge(RequestRateLimiter.Default)
)

const logStart = Effect.gen(function* () {
  const settings = yield* PollerConfig
  for (const warning of settings.warnings) yield* Effect.logWarning(warning)
  yield* Effect.log(
    `carbon-poller starting: ${settings.zones.length} zones every ${settings.pollIntervalMinutes} min, TTL ${settings.cacheTtlMinutes} min, cache ${settings.cacheFile}, API ${settings.apiUrl}`
  ).pipe(
    Effect.annotateLogs({
      zones: settings.zones.join(","),
      api_key: String(settings.apiKey),
      emission_factor_type: settings.emissionFactorType,
      max_concurrency: settings.maxConcurrency
    })
  )
})

/** Start-up shared by the loop and `--once`: sweep leftovers, check zones. */
const prepare = Effect.gen(function* () {
  yield* logStart
  const store = yield* CacheStore
  const swept = yield* store.removeLeftovers
  if (swept > 0) yield* Effect.log(`removed ${swept} temporary file(s) left by an earlier run in ${store.directory}`)
  return yield* checkConfiguredZones
})

export const pollOnceAndExit = Effect.gen(function* () {
  const zones = yield* prepare
  const summary = yield* (yield* Poller).pollOnce(zones)
  if (Option.isNone(summary.written)) {
    return yield* new NoCacheWritten({ reasons: summary.failures.map((f) => `${f.zone}: ${f.reason}`) })
  }
})

/**
 * First poll at once, then one every `POLL_INTERVAL_MINUTES` at a fixed rate (see PollSchedule).
 * `alongside` starts what lives as long as the loop (the HTTP endpoints, the demo's table) before
 * anything else; if it fails to start, the service does not start either.
 */
export const pollForever = <E = never, R = never>(alongside: Effect.Effect<unknown, E, R | Scope.Scope> = Effect.void) =>
  Effect.gen(function* () {
    const settings = yield* PollerConfig
    // Endpoints first: probes get an answer even while a slow `/zones` holds up the zone check.
    yield* alongside
    const zones = yield* prepare
    const poller = yield* Poller
    const firstStart = yield* Clock.currentTimeMillis
    const cadence = fixedRateFrom(Duration.millis(settings.pollIntervalMinutes * 60_000), firstStart)
    return yield* poller.pollOnce(zones).pipe(Effect.repeat(cadence), Effect.zipRight(Effect.never))
  }).pipe(Effect.scoped)

export const printZones = (search: string | undefined) =>
  listZones(search).pipe(Effect.flatMap((lines) => Console.log(lines.length > 0 ? lines.join("\n") : "no zone matches")))

/** Exit codes (documented in the README and `--help`). */
export const exitCodeOf = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return 0
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) {
    const tag = (failure.value as { readonly _tag?: unknown })._tag
    if (tag === "InvalidConfig" || tag === "UsageError") return 2
    if (tag === "NoValidZones") return 3
    if (tag === "HttpPortUnavailable") return 4
  }
  return 1
}

export const teardown: Teardown = (exit, onExit) => onExit(exitCodeOf(exit))

/** Fatal problems go to stderr as plain sentences, whatever the log format. */
export const reportFatal = <A, E extends { readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.tapErrorCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.void
        : Option.match(Cause.failureOption(cause), {
            onSome: (error) => Console.error(`carbon-poller: ${error.message}`),
            onNone: () => Console.error(`carbon-poller: unexpected failure (a bug): ${Cause.pretty(cause)}`)
          })
    )
  )

export type AppError = NoCacheWritten | NoValidZones | UsageError | ApiError | HttpEndpoints.HttpPortUnavailable
export type AppServices = Layer.Layer.Success<typeof ServicesLayer> | PollerConfig

/** The program for a command; help and usage errors need no configuration, so no layers are built. */
export const commandProgram = <E>(
  command: Command,
  services: Layer.Layer<AppServices, E>
): Effect.Effect<void, AppError | E> => {
  switch (command._tag) {
    case "Help":
      return Console.log(USAGE)
    case "UsageError":
      return Effect.fail(new UsageError({ detail: command.message }))
    case "Zones":
      return Effect.provide(printZones(command.search), services)
    case "Run":
      return command.once ? Effect.provide(pollOnceAndExit, services) : Effect.provide(pollForever(HttpEndpoints.serve), services)
  }
}
