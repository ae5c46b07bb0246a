/**
 * One poll: fetch every zone concurrently (each zone's failure kept apart), rank with the previous
 * cache, render once, write to every output, record what happened. A poll never fails: source and
 * output problems are logged, counted and reported through `PollStatus`, and the next poll tries
 * again.
 */
import { Clock, Effect, Either, Metric, Option, Ref } from "effect"
import { BasisConfig } from "../config/BasisConfig.js"
import { CacheConfig } from "../config/CacheConfig.js"
import { PollingConfig } from "../config/PollingConfig.js"
import { type CacheFile, renderCache, type RenderedCache } from "../domain/CacheFile.js"
import { parseZoneRef, type ZoneRef } from "../domain/Provider.js"
import type { ZoneChain } from "../domain/ZoneChain.js"
import { Forecasts } from "../forecast/Forecasts.js"
import * as Metrics from "../observability/Metrics.js"
import { CacheOutputs } from "../ports/CacheOutput.js"
import { SourceError } from "../ports/CarbonSource.js"
import { SourceRegistry } from "../ports/SourceRegistry.js"
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

/** Every link failed: the first link's failure (the zone's own provider), with what each fallback met. */
const chainFailed = (chain: ZoneChain, failures: ReadonlyArray<SourceError>): SourceError => {
  const [first, ...fallbacks] = failures
  if (first === undefined || fallbacks.length === 0) {
    return first ?? new SourceError({ zone: chain.key, reason: "Unknown", detail: `zone ${chain.key}: no link asked` })
  }
  return new SourceError({
    zone: chain.key,
    reason: first.reason,
    detail: `${first.detail}; fallback ${
      fallbacks.map((failure) => `${failure.zone} failed too (${failure.reason})`).join(", fallback ")
    }`,
    providerMessage: first.providerMessage,
    status: first.status,
    retryAfter: first.retryAfter,
    cause: first.cause
  })
}

export class Poller extends Effect.Service<Poller>()("carbon-poller/Poller", {
  effect: Effect.gen(function*() {
    const polling = yield* PollingConfig
    const basis = yield* BasisConfig
    const { cacheTtlMinutes } = yield* CacheConfig
    const registry = yield* SourceRegistry
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

    const chains = new Map(polling.chains.map((chain) => [chain.key, chain] as const))
    const chainOf = (key: string): ZoneChain => chains.get(key) ?? { key, links: [parseZoneRef(key)] }

    /** One link's reading, held to the truthfulness rules against the link's own key. */
    const fetchLink = (link: ZoneRef) =>
      registry.latest(link.key).pipe(
        Effect.flatMap((reading) =>
          Effect.flatMap(Clock.currentTimeMillis, (fetchedAt) => {
            const refusal = checkReading(reading, expectationsFor(link.key), fetchedAt)
            return refusal === undefined
              ? Effect.succeed({ reading, fetchedAt })
              : Effect.fail(refused(link.key, refusal))
          })
        ),
        Effect.tapError((error) =>
          Metrics.increment(Metrics.providerFailures, { provider: link.provider, reason: error.reason })
        )
      )

    /**
     * One zone's reading, if it may be presented as fresh: each link of its chain in turn, in this
     * poll, until one answers; stored under the chain's key whichever link gave it.
     */
    const fetchZone = (chain: ZoneChain): Effect.Effect<FreshReading, SourceError> =>
      Effect.gen(function*() {
        const failures: Array<SourceError> = []
        for (const link of chain.links) {
          const answer = yield* Effect.either(fetchLink(link))
          if (Either.isLeft(answer)) {
            failures.push(answer.left)
            continue
          }
          // By key, not by position: the zone check drops links their catalogue does not list, so a
          // fallback can be the first link left when the configured first key does not exist.
          const fallback = link.key !== chain.key
          if (fallback) {
            const why = failures.length > 0
              ? failures.map((failure) => failure.detail).join("; ")
              : `zone ${chain.key} is not in its provider's zone catalogue`
            yield* Metrics.increment(Metrics.fallbacks, { provider: link.provider })
            yield* Effect.logWarning(`${why}; fallback ${link.key} answered for ${chain.key}`).pipe(
              Effect.annotateLogs({ zone: chain.key, fallback: link.key })
            )
          }
          return {
            zone: chain.key,
            reading: { ...answer.right.reading, zone: chain.key },
            fetchedAt: answer.right.fetchedAt,
            source: {
              provider: link.provider,
              signal: basis.signal,
              emissionFactorType: basis.emissionFactorType,
              fallback
            }
          }
        }
        return yield* Effect.fail(chainFailed(chain, failures))
      }).pipe(
        Effect.tapBoth({
          onFailure: (error) => Metrics.increment(Metrics.fetches, { zone: chain.key, outcome: error.reason }),
          onSuccess: () => Metrics.increment(Metrics.fetches, { zone: chain.key, outcome: "ok" })
        })
      )

    const fetchAll = (zones: ReadonlyArray<string>, checked: ReadonlyArray<ZoneChain> | undefined) =>
      Effect.partition(zones.map((key) => checked?.find((chain) => chain.key === key) ?? chainOf(key)), fetchZone, {
        concurrency: polling.maxConcurrency
      }).pipe(
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
            fallbacks: summary.fresh.filter((fresh) => fresh.source.fallback).length,
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
     * asked for, but they count as configured and stay in `unavailable` with their reason. `checked`:
     * the chains as the zone check left them (a link its catalogue lacks is not asked).
     */
    const pollOnce = (
      pollable: ReadonlyArray<string>,
      excluded: ReadonlyArray<SourceError> = [],
      checked?: ReadonlyArray<ZoneChain>
    ): Effect.Effect<PollSummary> =>
      Effect.gen(function*() {
        const startedAt = yield* Clock.currentTimeMillis
        yield* status.pollStarted(startedAt)
        const [refused, fresh] = yield* fetchAll(pollable, checked)
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
