/**
 * The sources of this run, one per provider that ZONES names, and the routing of a configured key
 * to its provider: the provider is asked for its own id (`13` for `ukci:13`, `DE` for `em:DE`), and
 * what it answers is said about the key as configured (a reading's `zone`, an error's zone and
 * text), so the core never sees a provider's id and the file never holds one. The poller, the zone
 * check, the forecasts and the `zones` command ask this; src/app/AppLayer.ts builds it from the
 * adapter list.
 */
import { Context, Duration, Effect } from "effect"
import type { Forecast } from "../domain/Forecast.js"
import { asKey, keyFor, parseZoneRef, type ProviderId, type ZoneRef } from "../domain/Provider.js"
import type { Reading, ZoneCatalogue } from "../domain/Reading.js"
import { type CarbonSourceShape, SourceError } from "./CarbonSource.js"

export interface SourceRegistryShape {
  /** The sources built for this run, in the adapter list's order. */
  readonly sources: ReadonlyArray<CarbonSourceShape>
  /** The longest request timeout of any source: a poll can run that much past its interval. */
  readonly requestTimeout: Duration.Duration
  /** The latest reading of a configured key from its provider, its `zone` said as a key. */
  readonly latest: (key: string) => Effect.Effect<Reading, SourceError>
  /** The forecast of a configured key from its provider, its `zone` said as a key. */
  readonly forecast: (key: string, horizonHours: number) => Effect.Effect<Forecast, SourceError>
  /** One provider's catalogue, each zone written as its key (`ukci:13`, `DE`). */
  readonly catalogue: (provider: ProviderId) => Effect.Effect<ZoneCatalogue, SourceError>
}

export class SourceRegistry
  extends Context.Tag("carbon-poller/SourceRegistry")<SourceRegistry, SourceRegistryShape>()
{}

/** A provider's failure about its own id, said about the key (the detail's `zone ID` too). */
const aboutKey = (ref: ZoneRef, error: SourceError): SourceError =>
  ref.key === ref.id ? error : new SourceError({
    zone: ref.key,
    reason: error.reason,
    detail: error.detail.replace(`zone ${ref.id}`, `zone ${ref.key}`),
    providerMessage: error.providerMessage,
    status: error.status,
    retryAfter: error.retryAfter,
    alreadyReported: error.alreadyReported,
    cause: error.cause
  })

/** Refused without asking anyone: no source of this run serves the key's provider. */
const noSource = (ref: ZoneRef): SourceError =>
  new SourceError({
    zone: ref.key,
    reason: "Unknown",
    detail: `zone ${ref.key}: no source of this run serves provider ${ref.provider}`
  })

/** The registry over built sources: at most one per provider (the first listed wins). */
export const makeRegistry = (sources: ReadonlyArray<CarbonSourceShape>): SourceRegistryShape => {
  const byProvider = new Map<ProviderId, CarbonSourceShape>()
  for (const source of sources) if (!byProvider.has(source.provider)) byProvider.set(source.provider, source)
  const routed = <A>(key: string, ask: (source: CarbonSourceShape, ref: ZoneRef) => Effect.Effect<A, SourceError>) => {
    const ref = parseZoneRef(key)
    const source = byProvider.get(ref.provider)
    return source === undefined
      ? Effect.fail(noSource(ref))
      : Effect.mapError(ask(source, ref), (e) => aboutKey(ref, e))
  }
  return {
    sources: [...byProvider.values()],
    requestTimeout: Duration.millis(Math.max(0, ...sources.map((source) => Duration.toMillis(source.requestTimeout)))),
    latest: (key) =>
      routed(
        key,
        (source, ref) =>
          Effect.map(source.latest(ref.id), (reading) => ({ ...reading, zone: asKey(ref, reading.zone) }))
      ),
    forecast: (key, horizonHours) =>
      routed(key, (source, ref) =>
        Effect.map(source.forecast(ref.id, horizonHours), (forecast) => ({
          ...forecast,
          zone: asKey(ref, forecast.zone)
        }))),
    catalogue: (provider) => {
      const source = byProvider.get(provider)
      if (source === undefined) {
        return Effect.fail(
          new SourceError({ zone: undefined, reason: "Unknown", detail: `no source of this run serves ${provider}` })
        )
      }
      return Effect.map(
        source.catalogue,
        (zones) => zones.map((zone) => ({ ...zone, zone: keyFor(provider, zone.zone) }))
      )
    }
  }
}
