/**
 * One poll: fetch every zone concurrently (each zone's failure kept apart), rank with the previous
 * cache, render once, write to every output, record what happened. A poll never fails: source and
 * output problems are logged, counted and reported through `PollStatus`, and the next poll tries
 * again.
 */
import { Clock, Effect, Metric, Option, Ref } from "effect"
import { BasisConfig } from "../config/BasisConfig.js"
import { CacheConfig } from "../config/CacheConfig.js"
import { PollingConfig } from "../config/PollingConfig.js"
import { type CacheFile, renderCache, type RenderedCache } from "../domain/CacheFile.js"
import { Forecasts } from "../forecast/Forecasts.js"
import * as Metrics from "../observability/Metrics.js"
import { CacheOutputs } from "../ports/CacheOutput.js"
import { CarbonSource, SourceError } from "../ports/CarbonSource.js"
import { type PreviousCache, recallPrevious } from "./LastKnownGood.js"
import { logFetchFailures, summaryLine } from "./PollLog.js"
import { PollStatus } from "./PollStatus.js"
import type { OutputFailure, PollSummary } from "./PollSummary.js"
import { type FreshReading, nextCache } from "./Ranking.js"
import { checkReading, type Refusal } from "./ReadingRules.js"
import { whenPollingAgain } from "./RunMode.js"

/** A reading the truthfulness rules refused, as the zone's failure: never ranked, never written. */
const refused = (zone: string, refusal: Refusal): SourceError =>
  new SourceError({
    zone,
    reason: refusal.reason,
    providerMessage: refusal.message,
    detail: `zone ${zone}: ${refusal.reason}: ${refusal.message}; the reading was refused`
  })

export class Poller extends Effect.Service<Poller>()("carbon-poller/Poller", {
  effect: Effect.gen(function*() {
    const polling = yield* PollingConfig
    const basis = yield* BasisConfig
    const { cacheTtlMinutes } = yield* CacheConfig
    const source = yield* CarbonSource
    const outputs = yield* CacheOutputs
    const status = yield* PollStatus
    const forecasts = yield* Forecasts
    const expectationsFor = (zone: string) => ({
      zone,
      emissionFactorType: basis.emissionFactorType,
      maxReadingAgeMinutes: polling.maxReadingAgeMinutes
    })

    // Seeded from what the outputs held, so a restart keeps last-known-good entries still valid.
    const previous = yield* Ref.make<Option.Option<PreviousCache>>(
      yield* recallPrevious(outputs, (zone) => expectationsFor(zone))
    )

    /** One zone's reading, if it may be presented as fresh. */
    const fetchZone = (zone: string): Effect.Effect<FreshReading, SourceError> =>
      source.latest(zone).pipe(
        Effect.flatMap((reading) =>
          Effect.flatMap(Clock.currentTimeMillis, (fetchedAt) => {
            const refusal = checkReading(reading, expectationsFor(zone), fetchedAt)
            return refusal === undefined
              ? Effect.succeed<FreshReading>({ zone, reading, fetchedAt })
              : Effect.fail(refused(zone, refusal))
          })
        ),
        Effect.tapBoth({
          onFailure: (error) => Metrics.increment(Metrics.fetches, { zone, outcome: error.reason }),
          onSuccess: () => Metrics.increment(Metrics.fetches, { zone, outcome: "ok" })
        })
      )

    const fetchAll = (zones: ReadonlyArray<string>) =>
      Effect.partition(zones, fetchZone, { concurrency: polling.maxConcurrency }).pipe(
        Effect.tap(([errors]) => logFetchFailures(errors))
      )

    const rank = (
      zones: ReadonlyArray<string>,
      fresh: ReadonlyArray<FreshReading>,
      failures: ReadonlyArray<SourceError>
    ) =>
      Effect.gen(function*() {
        return nextCache({
          configuredZones: zones,
          fresh,
          failures,
          previous: Option.getOrUndefined(yield* Ref.get(previous)),
          now: yield* Clock.currentTimeMillis,
          ttlMinutes: cacheTtlMinutes
        })
      })

    /** Every output, each on its own: one refusing does not stop the others. */
    const writeAll = (rendered: RenderedCache) =>
      Effect.partition(outputs, (output) => output.publish(rendered)).pipe(
        Effect.map(([errors]): ReadonlyArray<OutputFailure> =>
          errors.map((error) => ({ output: error.output, message: error.message }))
        )
      )

    const record = (zones: ReadonlyArray<string>, summary: PollSummary, rendered: RenderedCache | undefined) =>
      Effect.gen(function*() {
        if (rendered === undefined) {
          yield* Metrics.increment(Metrics.polls, { outcome: "nothing_usable" })
        } else if (summary.outputFailures.length === 0) {
          yield* Ref.set(previous, Option.some(rendered.cache))
          const writtenAt = yield* Clock.currentTimeMillis
          yield* status.written({ cache: rendered.cache, contents: rendered.contents, writtenAt })
          yield* Metrics.increment(Metrics.polls, { outcome: "written" })
          yield* Metrics.set(Metrics.lastWriteTimestamp, {}, writtenAt / 1000)
          yield* Metrics.set(Metrics.zonesUsable, {}, rendered.cache.sorted_by_carbon.length)
        } else {
          const again = yield* whenPollingAgain("; tried again next poll")
          for (const failure of summary.outputFailures) yield* Effect.logError(`${failure.message}${again}`)
          yield* status.writeFailed(summary.outputFailures.map((failure) => failure.message).join("; "))
          yield* Metrics.increment(Metrics.cacheWriteFailures, {})
          yield* Metrics.increment(Metrics.polls, { outcome: "write_failed" })
        }
        yield* Metrics.set(Metrics.zonesConfigured, {}, zones.length)
        yield* Metric.update(Metrics.pollDuration, summary.durationMillis / 1000)
        yield* Effect.log(summaryLine(zones.length, summary)).pipe(
          Effect.annotateLogs({
            event: "poll",
            zones_ok: summary.fresh.length,
            zones_failed: summary.failures.length,
            written: Option.isSome(summary.written),
            duration_ms: summary.durationMillis,
            ...Option.match(summary.ranked, {
              onNone: () => ({}),
              onSome: (cache: CacheFile) => ({ best_region: cache.best_region, worst_region: cache.worst_region })
            })
          })
        )
        yield* status.pollCompleted(summary)
      })

    /**
     * Polls the given zones once. Zones the zone check left out come as `excluded`: they are not
     * asked for, but they count as configured and stay in `unavailable` with their reason.
     */
    const pollOnce = (
      pollable: ReadonlyArray<string>,
      excluded: ReadonlyArray<SourceError> = []
    ): Effect.Effect<PollSummary> =>
      Effect.gen(function*() {
        const startedAt = yield* Clock.currentTimeMillis
        yield* status.pollStarted(startedAt)
        const [refused, fresh] = yield* fetchAll(pollable)
        const failures = [...refused, ...excluded]
        const zones = [...pollable, ...excluded.flatMap((failure) => failure.zone ?? [])]
        const ranked = yield* rank(zones, fresh, failures)
        // Forecasts are read as they stand: never fetched here, so they cannot delay the poll.
        const next = ranked === undefined ? undefined : yield* forecasts.addToCache(ranked)
        const rendered = next === undefined ? undefined : renderCache(next)
        const outputFailures = rendered === undefined ? [] : yield* writeAll(rendered)
        const summary: PollSummary = {
          fresh,
          failures,
          ranked: Option.fromNullable(next),
          written: rendered !== undefined && outputFailures.length === 0 ? Option.some(rendered.cache) : Option.none(),
          outputFailures,
          durationMillis: (yield* Clock.currentTimeMillis) - startedAt
        }
        yield* record(zones, summary, rendered)
        return summary
      })

    /** Starts again from what the outputs hold now: a new leader takes over the published cache. */
    const reseed: Effect.Effect<void> = Effect.flatMap(
      recallPrevious(outputs, (zone) => expectationsFor(zone)),
      (recalled) => Option.isSome(recalled) ? Ref.set(previous, recalled) : Effect.void
    )

    return { pollOnce, reseed } as const
  })
}) {}
