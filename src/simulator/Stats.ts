/**
 * Request counters of one simulator instance.
 *
 * Kept in a `SubscriptionRef` so a test can wait for a condition (`awaitStats(s => s.inFlight >= 4)`)
 * instead of sleeping and polling.
 */
import { Effect, Option, Stream, SubscriptionRef } from "effect"

/** The API versions served, newest first: every route is served under each. */
export const API_VERSIONS = ["v4", "v3"] as const
export type ApiVersion = typeof API_VERSIONS[number]

/** What a request was for, as the counters group it. */
export type Endpoint = "latest" | "forecast" | "history" | "zones" | "other"

export interface SimulatorStats {
  /** API requests (everything but `/__simulator/*`). */
  readonly total: number
  /** API requests being answered right now, body streaming included. */
  readonly inFlight: number
  /** The most API requests in flight at once since start or the last reset. */
  readonly maxInFlight: number
  /** Requests without a valid `auth-token` (missing, empty or wrong). */
  readonly unauthorized: number
  /** `latest` requests per `zone` parameter, known zone or not. */
  readonly byZone: Readonly<Record<string, number>>
  /** `forecast` requests per `zone` parameter, known zone or not. */
  readonly forecastByZone: Readonly<Record<string, number>>
  /** Requests per endpoint: `latest`, `forecast`, `history`, `zones`, `other`. */
  readonly byEndpoint: Readonly<Record<string, number>>
  /** Requests per API version prefix, whatever the path after it; other paths count in neither. */
  readonly byVersion: { readonly v3: number; readonly v4: number }
  /** Answers per HTTP status; a request whose client left before the answer counts as `aborted`. */
  readonly byStatus: Readonly<Record<string, number>>
  /** How often each fault kind fired. */
  readonly faultHits: Readonly<Record<string, number>>
}

export interface StatsRecorder {
  readonly begin: Effect.Effect<void>
  readonly end: (status: Option.Option<number>) => Effect.Effect<void>
  readonly countRequest: (endpoint: Endpoint, version: ApiVersion | undefined) => Effect.Effect<void>
  readonly countZone: (zone: string) => Effect.Effect<void>
  readonly countForecastZone: (zone: string) => Effect.Effect<void>
  readonly countUnauthorized: Effect.Effect<void>
  readonly countFault: (kind: string) => Effect.Effect<void>
  readonly get: Effect.Effect<SimulatorStats>
  /** Zeroes every counter; `inFlight` is a gauge and keeps its value, `maxInFlight` restarts from it. */
  readonly reset: Effect.Effect<void>
  /** Resolves with the first snapshot (current one included) that satisfies `predicate`. */
  readonly awaitStats: (predicate: (stats: SimulatorStats) => boolean) => Effect.Effect<SimulatorStats>
}

const empty = (inFlight: number): SimulatorStats => ({
  total: 0,
  inFlight,
  maxInFlight: inFlight,
  unauthorized: 0,
  byZone: {},
  forecastByZone: {},
  byEndpoint: {},
  byVersion: { v3: 0, v4: 0 },
  byStatus: {},
  faultHits: {}
})

const increment = (record: Readonly<Record<string, number>>, key: string): Readonly<Record<string, number>> => ({
  ...record,
  [key]: (record[key] ?? 0) + 1
})

export const make: Effect.Effect<StatsRecorder> = Effect.map(SubscriptionRef.make(empty(0)), (ref) => {
  const update = (f: (stats: SimulatorStats) => SimulatorStats) => SubscriptionRef.update(ref, f)
  return {
    begin: update((s) => ({
      ...s,
      total: s.total + 1,
      inFlight: s.inFlight + 1,
      maxInFlight: Math.max(s.maxInFlight, s.inFlight + 1)
    })),
    end: (status) =>
      update((s) => ({
        ...s,
        inFlight: s.inFlight - 1,
        byStatus: increment(s.byStatus, Option.match(status, { onNone: () => "aborted", onSome: String }))
      })),
    countRequest: (endpoint, version) =>
      update((s) => ({
        ...s,
        byEndpoint: increment(s.byEndpoint, endpoint),
        byVersion: version === undefined ? s.byVersion : { ...s.byVersion, [version]: s.byVersion[version] + 1 }
      })),
    countZone: (zone) => update((s) => ({ ...s, byZone: increment(s.byZone, zone) })),
    countForecastZone: (zone) => update((s) => ({ ...s, forecastByZone: increment(s.forecastByZone, zone) })),
    countUnauthorized: update((s) => ({ ...s, unauthorized: s.unauthorized + 1 })),
    countFault: (kind) => update((s) => ({ ...s, faultHits: increment(s.faultHits, kind) })),
    get: SubscriptionRef.get(ref),
    reset: update((s) => empty(s.inFlight)),
    awaitStats: (predicate) =>
      ref.changes.pipe(
        Stream.filter(predicate),
        Stream.runHead,
        // `changes` never ends, so the only way out of `runHead` is a match.
        Effect.flatMap(Effect.orDie)
      )
  }
})
