/**
 * Forecasts beside the poll: the latest good forecast of each zone, refreshed in its own fiber every
 * `FORECAST_REFRESH_MINUTES` (the provider recomputes hourly; asking every poll would spend the
 * plan's calls on the same numbers). The poll only reads what is there when it renders, so a slow
 * or failing forecast never delays or fails a poll, and never touches `regions` or the ranking.
 */
import { Clock, Duration, Effect, Either, Ref, Schedule, type Scope } from "effect"
import { ForecastConfig, forecastsEnabled } from "../config/ForecastConfig.js"
import { PollingConfig } from "../config/PollingConfig.js"
import type { CacheFile } from "../domain/CacheFile.js"
import type { Forecast } from "../domain/Forecast.js"
import { parseCacheTimestamp, parseRfc3339Instant } from "../domain/Time.js"
import type { ZonePlan } from "../domain/ZonePlan.js"
import * as Metrics from "../observability/Metrics.js"
import type { SourceError } from "../ports/CarbonSource.js"
import { Leadership } from "../ports/Leadership.js"
import { SourceRegistry } from "../ports/SourceRegistry.js"
import { forecastKeysOf } from "./ForecastFileKeys.js"
import { type ForecastRefusal, type ForecastSeries, quoted, toForecastSeries } from "./ForecastSeries.js"
import type { ForecastFailureReason, ForecastSnapshot, ZoneForecastState } from "./ForecastState.js"

/** The series of a forecast answer, or why it is refused; `updatedAt` is written to the file, so it must parse too. */
export const checkForecast = (zone: string, forecast: Forecast): Either.Either<ForecastSeries, ForecastRefusal> => {
  if (forecast.updatedAt !== undefined && parseRfc3339Instant(forecast.updatedAt) === undefined) {
    return Either.left({
      reason: "BadDatetime",
      message: `the forecast's updatedAt ${quoted(forecast.updatedAt)} is not an RFC 3339 instant`
    })
  }
  return toForecastSeries({
    asked: zone,
    zone: forecast.zone,
    points: forecast.points,
    temporalGranularity: forecast.temporalGranularity
  })
}

/** Which zones to ask, from the zone check's plan: the pollable ones whose plan covers forecasts. */
export const zonesToAsk = (plan: ZonePlan) => {
  const without = new Set(plan.withoutForecast ?? [])
  return {
    zones: plan.pollable.filter((zone) => !without.has(zone)),
    notAsked: [
      ...plan.pollable.filter((zone) => without.has(zone)).map((zone) => ({
        zone,
        reason: "NotInPlan" as const,
        message: "the API plan does not cover forecasts (carbon-intensity/forecast) for this zone"
      })),
      ...plan.excluded.flatMap(({ reason, said, zone }) => zone === undefined ? [] : [{ zone, reason, message: said }])
    ]
  }
}

export class Forecasts extends Effect.Service<Forecasts>()("carbon-poller/Forecasts", {
  effect: Effect.gen(function*() {
    const settings = yield* ForecastConfig
    const { maxConcurrency, zones: configured } = yield* PollingConfig
    const source = yield* SourceRegistry
    const leadership = yield* Leadership
    const enabled = forecastsEnabled(settings)
    // Until the zone check says otherwise, every configured zone is expected to have a forecast.
    const state = yield* Ref.make<ForecastSnapshot>({
      active: enabled,
      zones: enabled ? configured : [],
      notAsked: [],
      byZone: new Map()
    })

    const setZone = (zone: string, update: (previous: ZoneForecastState | undefined) => ZoneForecastState) =>
      Ref.update(state, (snapshot) => ({
        ...snapshot,
        byZone: new Map(snapshot.byZone).set(zone, update(snapshot.byZone.get(zone)))
      }))

    /** `quiet`: a refusal already reported with the provider's words and not asked again: at debug. */
    const failed = (zone: string, reason: ForecastFailureReason, message: string, logLine: string, quiet = false) =>
      Effect.gen(function*() {
        const at = yield* Clock.currentTimeMillis
        yield* setZone(zone, (previous) => ({ ...previous, lastFailure: { reason, message, at } }))
        yield* Metrics.increment(Metrics.forecastFetches, { zone, outcome: reason })
        yield* (quiet ? Effect.logDebug(`forecast: ${logLine}`) : Effect.logWarning(`forecast: ${logLine}`)).pipe(
          Effect.annotateLogs({ event: "forecast", zone, reason })
        )
      })

    const refreshZone = (zone: string) =>
      Effect.gen(function*() {
        const answer = yield* Effect.either(source.forecast(zone, settings.forecastHorizonHours))
        if (Either.isLeft(answer)) {
          const error: SourceError = answer.left
          return yield* failed(zone, error.reason, error.said, error.message, error.alreadyReported === true)
        }
        const series = checkForecast(zone, answer.right)
        if (Either.isLeft(series)) {
          const { message, reason } = series.left
          return yield* failed(zone, reason, message, `zone ${zone}: refused (${reason}): ${message}`)
        }
        const fetchedAt = yield* Clock.currentTimeMillis
        const updatedAt = answer.right.updatedAt
        yield* setZone(zone, () => ({ lastGood: { series: series.right, updatedAt, fetchedAt } }))
        yield* Metrics.increment(Metrics.forecastFetches, { zone, outcome: "ok" })
      })

    /** One refresh of every zone asked for, concurrently within the polling concurrency. */
    const refresh: Effect.Effect<void> = Effect.gen(function*() {
      const { active, zones } = yield* Ref.get(state)
      // In cluster mode only the leader spends the plan's calls.
      if (!active || !(yield* leadership.isLeader)) return
      yield* Effect.forEach(zones, refreshZone, { concurrency: maxConcurrency, discard: true })
    })

    /**
     * Takes the zone check's plan: zones outside the plan's forecasts are not asked for; when no
     * zone is left, one warning and the feature stays off (no calls, no keys in the file).
     */
    const usePlan = (plan: ZonePlan) =>
      Effect.gen(function*() {
        if (!enabled) return
        const { notAsked, zones } = zonesToAsk(plan)
        const outsidePlan = notAsked.filter((entry) => entry.reason === "NotInPlan").map((entry) => entry.zone)
        if (zones.length === 0 && outsidePlan.length > 0) {
          yield* Effect.logWarning(
            "FORECAST_WINDOWS_MINUTES is set, but the API plan does not cover forecasts (carbon-intensity/forecast) for any configured zone: no forecasts are asked for and the cache has no forecast keys"
          )
        } else if (outsidePlan.length > 0) {
          yield* Effect.logWarning(
            `the API plan does not cover forecasts for ${
              outsidePlan.join(", ")
            }: no forecasts asked for them; they are listed in unavailable_forecasts`
          )
        }
        yield* Ref.set(state, { active: zones.length > 0, zones, notAsked, byZone: new Map() })
      })

    /** Refreshes now and then every `FORECAST_REFRESH_MINUTES`, for the life of the scope. */
    const startRefreshing = (plan: ZonePlan): Effect.Effect<void, never, Scope.Scope> =>
      Effect.gen(function*() {
        yield* usePlan(plan)
        if (!(yield* Ref.get(state)).active) return
        const every = Schedule.fixed(Duration.millis(settings.forecastRefreshMinutes * 60_000))
        yield* Effect.forkScoped(Effect.repeat(refresh, every))
      })

    const recordBestWindows = (windows: CacheFile["best_windows"]) =>
      Effect.forEach(windows ?? [], (window) =>
        Effect.all([
          Metrics.set(Metrics.bestWindowCarbonIntensity, { minutes: String(window.minutes) }, window.carbonIntensity),
          Metrics.set(Metrics.bestWindowStart, { minutes: String(window.minutes) }, Date.parse(window.start) / 1000)
        ]), { discard: true })

    /**
     * The cache with the forecast keys added after every other key, as of the file's own
     * `timestamp`; the very same value when forecasts are off, so the bytes do not change.
     */
    const addToCache = (cache: CacheFile): Effect.Effect<CacheFile> =>
      Effect.gen(function*() {
        const snapshot = yield* Ref.get(state)
        const now = parseCacheTimestamp(cache.timestamp)
        if (!snapshot.active || now === undefined) return cache
        const keys = forecastKeysOf({
          snapshot,
          windowsMinutes: settings.forecastWindowsMinutes,
          refreshMinutes: settings.forecastRefreshMinutes,
          now
        })
        yield* recordBestWindows(keys.best_windows)
        return { ...cache, ...keys }
      })

    return { usePlan, refresh, startRefreshing, addToCache, snapshot: Ref.get(state) } as const
  })
}) {}
