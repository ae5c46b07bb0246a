/**
 * An Electricity-Maps-compatible read API over what this service has polled, so a scheduler or
 * tool written for Electricity Maps works with only its base URL changed (and a whole cluster
 * spends one plan): `latest`, `history` and `forecast` under `/v4` and `/v3`, plus `zones`, which
 * clients such as the Carbon Aware SDK ask before anything else.
 *
 * Answered from memory only: a consumer's request never causes a call to a provider. The bodies
 * are rendered at most once per cache recorded as written (polled, or mirrored from the leader in
 * cluster mode), never per request, so answering costs a lookup and never competes with polls or
 * probes.
 * The history of the last 24 hours is recorded at the same moment, from every cache written, and
 * kept beside the cache file so a restart keeps it. A follower in cluster mode records the caches
 * it mirrors, so its history is the leader's readings from the moment it started (plus its file).
 *
 * Refusals use Electricity Maps' error shape, `{"error", "message"}`: 401 without the consumer
 * token (when `CONSUMER_TOKEN` is set), 400 for a malformed query or another emission factor than
 * the one polled, 404 for a zone without a current value (never a stale one), 503 before the first
 * cache is written (for a zone it polls: one it does not is 404 from the start).
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Clock, Effect, Option, Queue, Redacted, Ref } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { BasisConfig } from "../config/BasisConfig.js"
import { CacheConfig } from "../config/CacheConfig.js"
import { ConsumerConfig } from "../config/ConsumerConfig.js"
import { ForecastConfig, forecastsEnabled } from "../config/ForecastConfig.js"
import { PollingConfig } from "../config/PollingConfig.js"
import { parseCacheTimestamp } from "../domain/Time.js"
import { Forecasts } from "../forecast/Forecasts.js"
import * as HistoryFile from "../history/HistoryFile.js"
import { type ReadingHistory, record } from "../history/ReadingHistory.js"
import { PollStatus, type WrittenCache } from "../poll/PollStatus.js"
import * as CachedBody from "./CachedBody.js"
import { type ApiVersion, type ConsumerView, consumerZone, renderView } from "./ConsumerBodies.js"

export type ReadRoute = "latest" | "history" | "forecast" | "zones"

const API_VERSIONS = ["v4", "v3"] as const satisfies ReadonlyArray<ApiVersion>

const PATHS: Record<ReadRoute, string> = {
  latest: "/carbon-intensity/latest",
  history: "/carbon-intensity/history",
  forecast: "/carbon-intensity/forecast",
  zones: "/zones"
}

const ABOUT: Record<ReadRoute, string> = {
  latest: "Electricity Maps' latest body for ?zone=, from the cache",
  history: "Electricity Maps' history body for ?zone=: the last 24 h polled",
  forecast: "Electricity Maps' forecast body for ?zone=, from the cached forecast",
  zones: "the zones served here, with the routes each can be read from"
}

/** Characters a zone key of any provider uses (`DE`, `US-CAL-CISO`, `ukci:13`, `watttime:CAISO_NORTH`). */
const ZONE_KEY = /^[A-Za-z0-9][A-Za-z0-9:_.-]{0,127}$/

const refusal = (status: number, error: string, message?: string) =>
  HttpServerResponse.unsafeJson(message === undefined ? { error } : { error, message }, {
    status,
    // A refusal is about this moment; a proxy or client must not keep it.
    headers: { "cache-control": "no-store" }
  })

/** The zones with a value, for a message: a long list is cut, the rest counted. */
const servedZones = (view: ConsumerView): string => {
  const zones = [...view.zones.keys()].map(consumerZone)
  return zones.length <= 20 ? zones.join(", ") : `${zones.slice(0, 20).join(", ")} and ${zones.length - 20} more`
}

const noRecentData = (zone: string, message: string) => refusal(404, `No recent data for zone "${zone}"`, message)

export interface Query {
  readonly zone: string
  readonly measuredOnly: boolean
}

/** The zone asked for, or the 400 that says what is wrong with the query. Unknown parameters are ignored. */
export const parseQuery = (
  url: string,
  emissionFactorType: string
): { readonly _tag: "Query"; readonly query: Query } | { readonly _tag: "Refused"; readonly message: string } => {
  const params = new URL(url, "http://localhost").searchParams
  const zones = params.getAll("zone")
  const refused = (message: string) => ({ _tag: "Refused", message }) as const
  if (zones.length === 0 || zones[0] === "") {
    return refused("Please provide a zone: ?zone=ZONE_KEY (lat/lon lookups are not served by carbon-poller)")
  }
  if (zones.length > 1) return refused("zone was given more than once; ask for one zone per request")
  const zone = zones[0] ?? ""
  if (!ZONE_KEY.test(zone)) {
    return refused("zone is not a zone key: letters, digits, '-', '_', '.', ':' only, up to 128 characters")
  }
  const factors = params.getAll("emissionFactorType")
  const other = factors.find((factor) => factor !== emissionFactorType)
  if (other !== undefined) {
    return refused(
      `emissionFactorType ${
        JSON.stringify(other.slice(0, 20))
      } is not served: this carbon-poller polls ${emissionFactorType} values only (EMISSION_FACTOR_TYPE)`
    )
  }
  return { _tag: "Query", query: { zone, measuredOnly: params.get("disableEstimations")?.toLowerCase() === "true" } }
}

const digest = (text: string): Buffer => createHash("sha256").update(text).digest()

/**
 * Constant time over equal-length digests: neither the token's length nor where a guess first
 * differs shows in the time of the answer.
 */
export const tokenMatches = (expected: Buffer, sent: string): boolean => timingSafeEqual(digest(sent), expected)

interface State {
  readonly history: ReadingHistory
  readonly view: Option.Option<ConsumerView>
}

export class ConsumerApi extends Effect.Service<ConsumerApi>()("carbon-poller/ConsumerApi", {
  scoped: Effect.gen(function*() {
    const status = yield* PollStatus
    const forecasts = yield* Forecasts
    const forecastSettings = yield* ForecastConfig
    const basis = yield* BasisConfig
    const polling = yield* PollingConfig
    /** The keys a cache can hold an entry for: each `ZONES` entry's first key. */
    const configuredKeys: ReadonlySet<string> = new Set(polling.chains.map((chain) => chain.key))
    /** Configured as `em:FR`, asked for as `FR` by a client of Electricity Maps: one zone. */
    const byConsumerZone = new Map(polling.chains.map((chain) => [consumerZone(chain.key), chain.key] as const))
    const configuredKeyOf = (asked: string): string =>
      configuredKeys.has(asked) ? asked : byConsumerZone.get(asked) ?? asked
    const { cacheFile } = yield* CacheConfig
    const { consumerToken } = yield* ConsumerConfig
    const expected = Option.map(consumerToken, (token) => digest(Redacted.value(token)))

    const historyFile = yield* HistoryFile.make(cacheFile, (zone) => ({
      zone,
      emissionFactorType: basis.emissionFactorType,
      maxReadingAgeMinutes: polling.maxReadingAgeMinutes
    }))
    const state = yield* Ref.make<State>({
      history: yield* historyFile.load(yield* Clock.currentTimeMillis),
      view: Option.none()
    })

    /**
     * Records a write's entries and renders the bodies from the newest write seen. Recording is
     * idempotent and a late, older write never replaces a newer one's bodies, so the request path
     * and the follower below may both apply the same write in either order.
     */
    const apply = (written: WrittenCache, force = false): Effect.Effect<ConsumerView> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const snapshot = yield* forecasts.snapshot
        return yield* Ref.modify(state, (current): readonly [ConsumerView, State] => {
          const shown = Option.getOrUndefined(current.view)
          if (shown !== undefined && shown.source === written && !force) return [shown, current]
          const history = record(current.history, written.cache.regions, now)
          const newest = shown !== undefined && shown.source.writtenAt > written.writtenAt ? shown.source : written
          const view = renderView({
            written: newest,
            history,
            forecasts: {
              enabled: forecastsEnabled(forecastSettings),
              snapshot,
              refreshMinutes: forecastSettings.forecastRefreshMinutes
            },
            now: parseCacheTimestamp(newest.cache.timestamp) ?? newest.writtenAt
          })
          return [view, { history, view: Option.some(view) }]
        })
      })

    // A cache that cannot be rendered (a bug, or a hand-edited mirror nothing else caught) is named
    // in the log and skipped: the follower and the shutdown's last save go on with the next one.
    const recordWrite = (written: WrittenCache) =>
      apply(written).pipe(
        Effect.asVoid,
        Effect.catchAllDefect((defect) =>
          Effect.logError(
            `the read API cannot record the cache written at ${new Date(written.writtenAt).toISOString()}: ${
              defect instanceof Error ? defect.message : String(defect)
            }`
          )
        )
      )

    const saved = yield* Ref.make((yield* Ref.get(state)).history)
    const persist = Effect.gen(function*() {
      const { history } = yield* Ref.get(state)
      if (history === (yield* Ref.get(saved))) return
      yield* historyFile.save(history)
      yield* Ref.set(saved, history)
    })

    // Subscribed before the first poll can write, so every cache written is recorded; a cache
    // mirrored before this was built (cluster mode) is recorded now.
    const writes = yield* status.subscribeWrites
    const { lastWrite: earlier } = yield* status.get
    if (Option.isSome(earlier)) yield* recordWrite(earlier.value)
    // Runs after the follower below has stopped: what it had not got to is recorded and kept, so a
    // poll just before a shutdown is in the next process's history. The last write is applied
    // again (harmless) because a write handed to the follower as it was stopped is lost with it.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const pending = yield* Queue.takeAll(writes)
        const { lastWrite } = yield* status.get
        yield* Effect.forEach([...pending, ...Option.toArray(lastWrite)], recordWrite)
        yield* persist
      })
    )
    // A write taken from the queue is recorded before the follower can be stopped, never dropped.
    const recordNext = Effect.uninterruptibleMask((restore) => Effect.flatMap(restore(Queue.take(writes)), recordWrite))
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(recordNext, persist)))

    /** The bodies for the cache written last; rendered here if the follower has not got to it yet. */
    const current: Effect.Effect<Option.Option<ConsumerView>> = Effect.gen(function*() {
      const { lastWrite } = yield* status.get
      if (Option.isNone(lastWrite)) return Option.none()
      const shown = Option.getOrUndefined((yield* Ref.get(state)).view)
      const now = yield* Clock.currentTimeMillis
      if (shown !== undefined && shown.source === lastWrite.value && now < shown.renderAgainAt) {
        return Option.some(shown)
      }
      // A history point left the window since the bodies were rendered: render them again.
      return Option.some(yield* apply(lastWrite.value, shown?.source === lastWrite.value))
    })

    const unauthorized = (sent: string | undefined) => {
      if (Option.isNone(expected)) return undefined
      if (sent === undefined || sent === "") {
        return refusal(
          401,
          "Invalid auth-token",
          "Please provide a valid authentication header: this carbon-poller's consumer token (CONSUMER_TOKEN) as auth-token"
        )
      }
      return tokenMatches(expected.value, sent)
        ? undefined
        : refusal(401, "Invalid auth-token", "The provided token is not this carbon-poller's consumer token")
    }

    const answer = (route: ReadRoute, version: ApiVersion, view: ConsumerView, query: Query) => {
      // Looked up by the key as configured, named in refusals as the client asked for it.
      const zone = query.zone
      const key = configuredKeyOf(zone)
      if (route === "forecast") {
        if (view.forecasts === undefined) {
          return refusal(
            404,
            `No forecast for zone "${zone}"`,
            "forecasts are off on this carbon-poller: set FORECAST_WINDOWS_MINUTES to fetch and serve them"
          )
        }
        const forecast = view.forecasts.get(key)
        if (forecast === undefined) {
          return refusal(404, `No forecast for zone "${zone}"`, `zone ${zone} is not polled by this carbon-poller`)
        }
        return forecast._tag === "Served"
          ? forecast.body(version)
          : refusal(404, `No forecast for zone "${zone}"`, `${forecast.reason}: ${forecast.message}`)
      }
      const answers = view.zones.get(key)
      if (answers === undefined) {
        const why = view.unavailable?.[key]
        return why !== undefined
          ? noRecentData(zone, `the last poll had no usable value: ${why.reason}: ${why.message}`)
          : noRecentData(zone, `zone ${zone} is not polled by this carbon-poller; it serves ${servedZones(view)}`)
      }
      if (route === "history") return query.measuredOnly ? answers.measuredHistory() : answers.history()
      if (query.measuredOnly && answers.entry.isEstimated) {
        return noRecentData(zone, "the latest value is estimated and disableEstimations=true asks for measured ones")
      }
      return answers.latest
    }

    const handler = (route: ReadRoute, version: ApiVersion) =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const denied = unauthorized(request.headers["auth-token"])
        if (denied !== undefined) return denied
        const parsed = route === "zones" ? undefined : parseQuery(request.url, basis.emissionFactorType)
        if (parsed?._tag === "Refused") return refusal(400, parsed.message)
        const view = yield* current
        if (Option.isNone(view)) {
          // A zone this service will never poll is not "not yet": it is 404 from the start.
          if (parsed !== undefined && !configuredKeys.has(configuredKeyOf(parsed.query.zone))) {
            return noRecentData(
              parsed.query.zone,
              `zone ${parsed.query.zone} is not polled by this carbon-poller; it polls ${
                [...configuredKeys].join(", ")
              }`
            )
          }
          return refusal(
            503,
            "No data yet",
            "no cache written yet by this carbon-poller; try again after its first poll"
          )
        }
        const now = yield* Clock.currentTimeMillis
        if (now >= view.value.expiresAt) {
          const expiry = new Date(view.value.expiresAt).toISOString()
          return parsed === undefined
            ? refusal(503, "No data", `the cache expired at ${expiry}; no poll has written since`)
            : noRecentData(parsed.query.zone, `the cache expired at ${expiry}; no poll has written since`)
        }
        const body = parsed === undefined ? view.value.zoneList : answer(route, version, view.value, parsed.query)
        return HttpServerResponse.isServerResponse(body) ? body : CachedBody.respond(request, body, now)
      }).pipe(
        // Never a bare 500 with an empty body, and never the defect's text to a consumer.
        Effect.catchAllDefect((defect) =>
          Effect.as(
            Effect.logError(`the read API cannot answer: ${defect instanceof Error ? defect.message : String(defect)}`),
            refusal(500, "Internal error", "carbon-poller cannot answer this request; see its log")
          )
        )
      )

    /** Every route under `/v4` and `/v3`, for the endpoints' route table. */
    const routes = API_VERSIONS.flatMap((version) =>
      (["latest", "history", "forecast", "zones"] as const).map((route) => ({
        path: `/${version}${PATHS[route]}` as const,
        about: version === "v4" ? ABOUT[route] : `as /v4${PATHS[route]}`,
        handler: handler(route, version)
      }))
    )

    return { routes, current } as const
  })
}) {}
