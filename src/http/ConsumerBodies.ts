/**
 * The bodies of the Electricity-Maps-compatible read API, rendered once per cache write (never per
 * request), in Electricity Maps' own shapes, so a client written for it parses them unchanged:
 *
 * - latest: the entry's fields as the provider sent them, without the cache's `timestamp` (a reader
 *   of Electricity Maps' body expects RFC 3339 there, or nothing);
 * - history: `{"zone", "history": [...]}`, the same fields per point, oldest first;
 * - forecast: `{"zone", "forecast": [{"carbonIntensity", "datetime"}], "updatedAt"}`, from the
 *   point that holds the moment the cache was written onwards;
 * - zones: `{"ZONE": {"access": [...]}}`, the routes each zone can be read from here.
 *
 * `carbonIntensity` is a whole number, as Electricity Maps sends it: clients declare it an integer
 * (the Carbon Aware SDK's fails on a fraction). `/cache` keeps the exact value.
 * Pure: the caller passes the cache, the history, the forecasts and the time. The small bodies
 * (latest, zones) are rendered at once; a history or forecast body (a day of points, about 7 KB)
 * when first asked for after the write, once: rendering all of them at every write costs about
 * 90 ms of the event loop for 400 zones on this project's 2-core machine, and most are never read.
 */
import type { CacheEntry, CacheFile } from "../domain/CacheFile.js"
import { granularityName } from "../domain/Granularity.js"
import { parseZoneRef } from "../domain/Provider.js"
import { parseRfc3339Instant } from "../domain/Time.js"
import { verdictOf } from "../forecast/ForecastFileKeys.js"
import type { ForecastSeries } from "../forecast/ForecastSeries.js"
import type { ForecastSnapshot, GoodForecast } from "../forecast/ForecastState.js"
import { firstExpiry, type ReadingHistory } from "../history/ReadingHistory.js"
import type { WrittenCache } from "../poll/PollStatus.js"
import { type CachedBody, etagOf } from "./CachedBody.js"
import { expiresAt } from "./Health.js"

export const LATEST_ACCESS = "carbon-intensity/latest"
export const HISTORY_ACCESS = "carbon-intensity/history"
export const FORECAST_ACCESS = "carbon-intensity/forecast"

export interface ZoneAnswers {
  readonly entry: CacheEntry
  readonly latest: CachedBody
  readonly history: () => CachedBody
  /** For `disableEstimations=true`: measured points only (possibly none). */
  readonly measuredHistory: () => CachedBody
}

/** The Electricity Maps API versions served: their bodies differ only in v4's forecast `temporalGranularity`. */
export type ApiVersion = "v4" | "v3"

export type ForecastAnswer =
  | { readonly _tag: "Served"; readonly body: (version: ApiVersion) => CachedBody }
  | { readonly _tag: "Unavailable"; readonly reason: string; readonly message: string }

export interface ConsumerView {
  /** The write these bodies were rendered from. */
  readonly source: WrittenCache
  /** When the cache stops being valid (the earlier of `timestamp + ttl_minutes` and `expires_at`). */
  readonly expiresAt: number
  /** Zones with an entry in the cache. */
  readonly zones: ReadonlyMap<string, ZoneAnswers>
  /** Configured zones without an entry, with the cache's reason. */
  readonly unavailable: CacheFile["unavailable"]
  /** Undefined when forecasts are off. */
  readonly forecasts: ReadonlyMap<string, ForecastAnswer> | undefined
  readonly zoneList: CachedBody
  /** When a history point leaves the 24-hour window: the bodies must be rendered again by then. */
  readonly renderAgainAt: number
}

export interface ForecastsInput {
  readonly enabled: boolean
  readonly snapshot: ForecastSnapshot
  readonly refreshMinutes: number
}

/**
 * A key as Electricity Maps' clients know the zone: an Electricity Maps key without the `em:` a
 * configuration may give it (`em:FR` is `FR`); another provider's key as configured (`ukci:13`).
 */
export const consumerZone = (key: string): string => {
  const ref = parseZoneRef(key)
  return ref.provider === "electricitymaps" ? ref.id : key
}

/** The reading as Electricity Maps sends it: its fields in its order, optional ones only when sent. */
export const readingBody = (entry: CacheEntry) => ({
  zone: consumerZone(entry.zone),
  carbonIntensity: Math.round(entry.carbonIntensity),
  datetime: entry.datetime,
  updatedAt: entry.updatedAt,
  ...(entry.createdAt !== undefined ? { createdAt: entry.createdAt } : {}),
  emissionFactorType: entry.emissionFactorType,
  isEstimated: entry.isEstimated,
  ...(entry.estimationMethod !== undefined ? { estimationMethod: entry.estimationMethod } : {}),
  ...(entry.temporalGranularity !== undefined ? { temporalGranularity: entry.temporalGranularity } : {})
})

/** Computed on first use, then kept. */
const once = <A>(make: () => A): () => A => {
  let made: { readonly value: A } | undefined
  return () => (made ??= { value: make() }).value
}

/** One body per API version, each computed on first use, then kept. */
const byVersion = <A>(make: (version: ApiVersion) => A): (version: ApiVersion) => A => {
  const v4 = once(() => make("v4"))
  const v3 = once(() => make("v3"))
  return (version) => (version === "v4" ? v4() : v3())
}

const cached = (value: unknown, until: number): CachedBody => {
  const contents = JSON.stringify(value)
  return { contents, etag: etagOf(contents), expiresAt: until }
}

/** The earlier of the file's own validity and its `expires_at`, when that is stated. */
const validUntil = (written: WrittenCache): number => {
  const stated = written.cache.expires_at === undefined ? undefined : parseRfc3339Instant(written.cache.expires_at)
  return Math.min(expiresAt(written), stated ?? Number.POSITIVE_INFINITY)
}

/** The points from the one that holds `now` onwards: a forecast does not offer the past. */
export const remainingPoints = (series: ForecastSeries, now: number) =>
  series.points.filter((point, index) => (series.points[index + 1]?.at ?? point.at + series.stepMillis) > now)

/** v4's forecast body carries `temporalGranularity` after `updatedAt`, as Electricity Maps sends it; v3's does not. */
const forecastBody = (zone: string, good: GoodForecast, now: number, version: ApiVersion) => ({
  zone: consumerZone(zone),
  forecast: remainingPoints(good.series, now).map((point) => ({
    carbonIntensity: Math.round(point.carbonIntensity),
    datetime: new Date(point.at).toISOString()
  })),
  ...(good.updatedAt !== undefined ? { updatedAt: good.updatedAt } : {}),
  // A step of whole minutes has a name; one read from oddly spaced points may not, and is left out.
  ...(version === "v4" ? { temporalGranularity: granularityName(good.series.stepMillis / 60_000) } : {})
})

const PENDING_MESSAGE =
  "no forecast fetched yet by this replica (in cluster mode only the leader fetches forecasts and serves them)"

const forecastAnswers = (
  input: ForecastsInput,
  now: number,
  until: number
): ReadonlyMap<string, ForecastAnswer> => {
  const answers = new Map<string, ForecastAnswer>()
  for (const { message, reason, zone } of input.snapshot.notAsked) {
    answers.set(zone, { _tag: "Unavailable", reason, message })
  }
  for (const zone of input.snapshot.zones) {
    const verdict = verdictOf(input.snapshot.byZone.get(zone), input.refreshMinutes, now)
    answers.set(
      zone,
      verdict._tag === "Usable"
        ? {
          _tag: "Served",
          body: byVersion((version) => cached(forecastBody(zone, verdict.good, now, version), until))
        }
        : {
          _tag: "Unavailable",
          reason: verdict.why.reason,
          message: verdict.why.reason === "Pending" ? PENDING_MESSAGE : verdict.why.message
        }
    )
  }
  return answers
}

/** Every body of the read API for one written cache, with the history recorded up to it. */
export const renderView = (input: {
  readonly written: WrittenCache
  readonly history: ReadingHistory
  readonly forecasts: ForecastsInput
  /** The file's own production time: forecasts are cut and judged as of it, like its keys. */
  readonly now: number
}): ConsumerView => {
  const until = validUntil(input.written)
  const zones = new Map<string, ZoneAnswers>()
  for (const [zone, entry] of Object.entries(input.written.cache.regions)) {
    const points = input.history.get(zone) ?? []
    const historyOf = (kept: typeof points) =>
      cached({ zone: consumerZone(zone), history: kept.map((point) => readingBody(point.entry)) }, until)
    zones.set(zone, {
      entry,
      latest: cached(readingBody(entry), until),
      history: once(() => historyOf(points)),
      measuredHistory: once(() => historyOf(points.filter((point) => !point.entry.isEstimated)))
    })
  }
  const forecasts = input.forecasts.enabled ? forecastAnswers(input.forecasts, input.now, until) : undefined
  const access: Record<string, { readonly access: ReadonlyArray<string> }> = {}
  for (const zone of zones.keys()) access[consumerZone(zone)] = { access: [LATEST_ACCESS, HISTORY_ACCESS] }
  for (const [zone, answer] of forecasts ?? []) {
    const listed = consumerZone(zone)
    if (answer._tag === "Served") access[listed] = { access: [...(access[listed]?.access ?? []), FORECAST_ACCESS] }
  }
  return {
    source: input.written,
    expiresAt: until,
    zones,
    unavailable: input.written.cache.unavailable,
    forecasts,
    zoneList: cached(access, until),
    renderAgainAt: firstExpiry(input.history) ?? Number.POSITIVE_INFINITY
  }
}
