/**
 * One poll: fetch every zone concurrently (each zone's failure kept apart), rank with the previous
 * cache, write atomically, and say what happened in one summary line. A poll never fails: API and
 * filesystem problems are logged, counted and reported through `PollStatus`, and the next poll
 * tries again (CONTRACT section 5).
 */
import { Clock, Effect, Either, Metric, Option, Ref } from "effect"
import type { ApiError } from "./ApiError.js"
import { CacheStore } from "./CacheStore.js"
import { PollerConfig } from "./Config.js"
import type { CacheFile } from "./Domain.js"
import { ElectricityMaps } from "./ElectricityMaps.js"
import * as Metrics from "./Metrics.js"
import { PollStatus } from "./PollStatus.js"
import { nextCache, type FreshReading, type ZoneFailure } from "./Ranking.js"

export interface PollSummary {
  readonly fresh: ReadonlyArray<FreshReading>
  readonly failures: ReadonlyArray<ZoneFailure>
  /** The cache written by this poll, if one was. */
  readonly written: Option.Option<CacheFile>
  readonly durationMillis: number
}

const describeFailure = (error: ApiError): ZoneFailure => ({
  zone: error.zone ?? "",
  reason: error.reason,
  message: error.apiMessage ?? error.message
})

export class Poller extends Effect.Service<Poller>()("carbon-poller/Poller", {
  effect: Effect.gen(function* () {
    const settings = yield* PollerConfig
    const api = yield* ElectricityMaps
    const store = yield* CacheStore
    const status = yield* PollStatus
    // Seeded from disk so a restart keeps last-known-good entries that are still within the TTL.
    const previous = yield* Ref.make(Option.getOrUndefined(yield* store.readCurrent))

    const fetchZone = (zone: string): Effect.Effect<Either.Either<FreshReading, ApiError>> =>
      api.latest(zone).pipe(
        Effect.flatMap((reading) => Effect.map(Clock.currentTimeMillis, (fetchedAt): FreshReading => ({ zone, reading, fetchedAt }))),
        Effect.either,
        Effect.tap(
          Either.match({
            onLeft: (error) =>
              Effect.logWarning(error.message).pipe(
                Effect.annotateLogs({ zone, reason: error.reason, ...(error.status ? { status: error.status } : {}) }),
                Effect.zipRight(Metrics.increment(Metrics.fetches, { zone, outcome: error.reason }))
              ),
            onRight: ({ reading }) =>
              Effect.all([
                Metrics.increment(Metrics.fetches, { zone, outcome: "ok" }),
                Metrics.set(
                  Metrics.carbonIntensity,
                  { zone, emission_factor_type: reading.emissionFactorType, estimated: String(reading.isEstimated) },
                  reading.carbonIntensity
                )
              ])
          })
        )
      )

    /** Polls the given zones once (the zone check at start may have left some out). */
    const pollOnce = (zones: ReadonlyArray<string>): Effect.Effect<PollSummary> =>
      Effect.gen(function* () {
        const startedAt = yield* Clock.currentTimeMillis
        yield* status.pollStarted(startedAt)
        const results = yield* Effect.forEach(zones, fetchZone, { concurrency: settings.maxConcurrency })
        const fresh = results.flatMap((r) => (Either.isRight(r) ? [r.right] : []))
        const failures = results.flatMap((r) => (Either.isLeft(r) ? [describeFailure(r.left)] : []))

        const now = yield* Clock.currentTimeMillis
        const next = nextCache({
          configuredZones: zones,
          fresh,
          failures,
          previous: yield* Ref.get(previous),
          now,
          ttlMinutes: settings.cacheTtlMinutes
        })

        let written = Option.none<CacheFile>()
        if (next === undefined) {
          yield* Metrics.increment(Metrics.polls, { outcome: "nothing_usable" })
        } else {
          const outcome = yield* Effect.either(store.write(next))
          if (Either.isRight(outcome)) {
            written = Option.some(next)
            yield* Ref.set(previous, next)
            const writtenAt = yield* Clock.currentTimeMillis
            yield* status.written({ cache: next, contents: outcome.right, writtenAt })
            yield* Metrics.increment(Metrics.polls, { outcome: "written" })
            yield* Metrics.set(Metrics.lastWriteTimestamp, {}, writtenAt / 1000)
            yield* Metrics.set(Metrics.zonesUsable, {}, next.sorted_by_carbon.length)
          } else {
            yield* Effect.logError(outcome.left.message)
            yield* status.writeFailed(outcome.left.message)
            yield* Metrics.increment(Metrics.cacheWriteFailures, {})
            yield* Metrics.increment(Metrics.polls, { outcome: "write_failed" })
          }
        }

        const durationMillis = (yield* Clock.currentTimeMillis) - startedAt
        yield* Metrics.set(Metrics.zonesConfigured, {}, zones.length)
        yield* Effect.annotateLogs(Effect.log(summaryLine(zones.length, fresh.length, failures, written, next, durationMillis)), {
          event: "poll",
          zones_ok: fresh.length,
          zones_failed: failures.length,
          written: Option.isSome(written),
          duration_ms: durationMillis,
          ...(next ? { best_region: next.best_region, worst_region: next.worst_region } : {})
        })
        const summary: PollSummary = { fresh, failures, written, durationMillis }
        yield* status.pollCompleted(summary)
        return summary
      }).pipe(
        Effect.withSpan("Poller.pollOnce"),
        Effect.tap((summary) => Metric.update(Metrics.pollDuration, summary.durationMillis / 1000))
      )

    return { pollOnce } as const
  })
}) {}

const summaryLine = (
  configured: number,
  ok: number,
  failures: ReadonlyArray<ZoneFailure>,
  written: Option.Option<CacheFile>,
  next: CacheFile | undefined,
  durationMillis: number
): string => {
  const failed = failures.length === 0 ? "" : ` (${failures.map((f) => `${f.zone}: ${f.reason}`).join(", ")})`
  const ranking =
    next === undefined
      ? "nothing usable, cache left as it was"
      : `best ${next.best_region} ${next.regions[next.best_region]?.carbonIntensity}, worst ${next.worst_region} ${next.regions[next.worst_region]?.carbonIntensity}`
  const write = next === undefined ? "" : Option.isSome(written) ? ", cache written" : ", cache write FAILED"
  return `poll: ${ok}/${configured} zones ok, ${failures.length} failed${failed}; ${ranking}${write}; ${durationMillis} ms`
}
