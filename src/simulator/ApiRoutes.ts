/**
 * The Electricity Maps endpoints the poller uses (latest, forecast, zones), and history (which
 * consumers of carbon-poller's own read API use), under `/v4` and the legacy `/v3`, with the real API's checks in its order: token, parameters, zone, plan. Armed
 * faults act before any of that, as a proxy, a rate limiter or a failing backend in front of the
 * API would; faults that reshape a body only ever reshape a 200.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Clock, Effect, Option } from "effect"
import * as Bodies from "./Bodies.js"
import { type BodyFault, isBodyFault, shapeForecast, shapeLatest, shapeZones } from "./BodyFaults.js"
import type { FaultBook, FaultTarget } from "./FaultBook.js"
import { answer, echoKeyError, gzipped, json, jsonReply, type Reply, trickle } from "./FaultResponses.js"
import {
  DEFAULT_HORIZON_HOURS,
  type ForecastGranularity,
  forecastReading,
  MAX_HORIZON_HOURS,
  MIN_HORIZON_HOURS
} from "./Forecast.js"
import { historyReading } from "./History.js"
import { type EmissionFactorType, latestReading } from "./Intensity.js"
import { API_VERSIONS, type ApiVersion, type Endpoint, type StatsRecorder } from "./Stats.js"
import { type AccessPolicy, inPlan, type Plan, type ZoneCatalogue, zonesBody } from "./Zones.js"

export interface ApiDeps {
  readonly seed: string
  /** The only key accepted; `undefined` accepts any non-empty key. */
  readonly apiKey: string | undefined
  readonly plan: Plan
  readonly access: AccessPolicy
  readonly forecastGranularity: ForecastGranularity
  readonly catalogue: ZoneCatalogue
  readonly stats: StatsRecorder
  readonly faults: FaultBook
}

type Token = "valid" | "missing" | "invalid"

interface Credentials {
  readonly verdict: Token
  /** The `auth-token` as sent, for faults that echo it. */
  readonly key: string
}

const checkToken = (deps: ApiDeps, request: HttpServerRequest.HttpServerRequest): Effect.Effect<Credentials> => {
  const token = request.headers["auth-token"]
  const verdict: Token = token === undefined || token === ""
    ? "missing"
    : deps.apiKey === undefined || token === deps.apiKey
    ? "valid"
    : "invalid"
  const credentials = { verdict, key: token ?? "" }
  return verdict === "valid" ? Effect.succeed(credentials) : Effect.as(deps.stats.countUnauthorized, credentials)
}

const firstParam = (
  params: Readonly<Record<string, string | ReadonlyArray<string>>>,
  name: string
): string | undefined => {
  const value = params[name]
  return typeof value === "string" ? value : value?.[0]
}

/**
 * Runs the fault decision for a request, then either the fault's own answer or the normal one
 * (`normal(bodyFault)`), possibly trickled or compressed.
 */
const withFaults = (
  deps: ApiDeps,
  target: FaultTarget,
  normal: (bodyFault: BodyFault | undefined) => Effect.Effect<Reply>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> =>
  Effect.gen(function*() {
    const decision = yield* deps.faults.decide(target)
    yield* Effect.forEach(decision.fired, deps.stats.countFault, { discard: true })
    if (decision.delayMs > 0) yield* Effect.sleep(decision.delayMs)
    if (Option.isNone(decision.fault)) return json(yield* normal(undefined))
    const fault = decision.fault.value
    if (fault.kind === "slow") return trickle(yield* normal(undefined), fault.chunkBytes, fault.intervalMs)
    if (fault.kind === "gzip") return gzipped(yield* normal(undefined))
    if (fault.kind === "echo-key-error") {
      const request = yield* HttpServerRequest.HttpServerRequest
      return echoKeyError(fault, request.headers["auth-token"] ?? "")
    }
    if (isBodyFault(fault)) return json(yield* normal(fault))
    return yield* answer(fault, target.zone ?? "", yield* Clock.currentTimeMillis)
  })

const parseFactorType = (raw: string | undefined): EmissionFactorType | undefined =>
  raw === undefined || raw === "lifecycle" ? "lifecycle" : raw === "direct" ? "direct" : undefined

/** `horizonHours` as the forecast route takes it: an integer in 1..72, 24 when absent. */
const parseHorizon = (raw: string | undefined): number | undefined => {
  if (raw === undefined) return DEFAULT_HORIZON_HOURS
  if (!/^\d{1,3}$/.test(raw)) return undefined
  const hours = Number(raw)
  return hours >= MIN_HORIZON_HOURS && hours <= MAX_HORIZON_HOURS ? hours : undefined
}

interface ReadingQuery {
  readonly zone: string | undefined
  readonly factorType: string | undefined
}

/** A request that passed every check: the zone to answer for and the factor type asked for. */
interface Cleared {
  readonly zone: string
  readonly factorType: EmissionFactorType
}

/**
 * The checks latest and forecast share, in the real API's order. `extraParams` checks the route's
 * own parameters after `zone`; `access` adds the plan's per-route rule after the zone checks.
 * Returns the refusal or what the answer is for.
 */
const clearReading = (
  deps: ApiDeps,
  credentials: Credentials,
  query: ReadingQuery,
  requestType: "latest" | "forecast",
  extraParams: () => Reply | undefined = () => undefined,
  access: (zone: string) => Reply | undefined = () => undefined
): Reply | Cleared => {
  if (credentials.verdict === "missing") return jsonReply(401, Bodies.missingHeader)
  if (credentials.verdict === "invalid") return jsonReply(401, Bodies.invalidToken)
  const zone = query.zone
  if (zone === undefined || zone === "") return jsonReply(400, Bodies.badRequest("Missing query parameter 'zone'"))
  const badParam = extraParams()
  if (badParam !== undefined) return badParam
  const factorType = parseFactorType(query.factorType)
  if (factorType === undefined) {
    return jsonReply(
      400,
      Bodies.badRequest(`Invalid emissionFactorType '${query.factorType}': use 'lifecycle' or 'direct'`)
    )
  }
  if (!Object.hasOwn(deps.catalogue, zone)) return jsonReply(404, Bodies.unknownZone(zone))
  if (!inPlan(deps.plan, zone)) return jsonReply(401, Bodies.zoneNotInPlan(zone, requestType))
  return access(zone) ?? { zone, factorType }
}

const isReply = (outcome: Reply | Cleared): outcome is Reply => "status" in outcome

/** `wrong-zone` answers with another zone's values; every other fault keeps the zone asked for. */
const answeredZone = (zone: string, fault: BodyFault | undefined): string =>
  fault?.kind === "wrong-zone" ? fault.zone : zone

const latestReply = (
  deps: ApiDeps,
  credentials: Credentials,
  query: ReadingQuery,
  fault: BodyFault | undefined
): Effect.Effect<Reply> =>
  Effect.gen(function*() {
    const cleared = clearReading(deps, credentials, query, "latest")
    if (isReply(cleared)) return cleared
    const nowMs = yield* Clock.currentTimeMillis
    const reading = latestReading(deps.seed, answeredZone(cleared.zone, fault), nowMs, cleared.factorType)
    return { status: 200, text: shapeLatest(reading, fault, credentials.key) }
  })

const forecastReply = (
  deps: ApiDeps,
  version: ApiVersion,
  credentials: Credentials,
  query: ReadingQuery & { readonly horizonHours: string | undefined },
  fault: BodyFault | undefined
): Effect.Effect<Reply> =>
  Effect.gen(function*() {
    const horizonHours = parseHorizon(query.horizonHours)
    const cleared = clearReading(
      deps,
      credentials,
      query,
      "forecast",
      () =>
        horizonHours === undefined
          ? jsonReply(
            400,
            Bodies.badRequest(
              `Invalid horizonHours '${query.horizonHours}': use an integer from ${MIN_HORIZON_HOURS} to ${MAX_HORIZON_HOURS}`
            )
          )
          : undefined,
      (zone) => deps.access.forecasts ? undefined : jsonReply(401, Bodies.zoneNotInPlan(zone, "forecast"))
    )
    if (isReply(cleared)) return cleared
    const nowMs = yield* Clock.currentTimeMillis
    const body = forecastReading(
      deps.seed,
      answeredZone(cleared.zone, fault),
      nowMs,
      horizonHours ?? DEFAULT_HORIZON_HOURS,
      deps.forecastGranularity,
      cleared.factorType
    )
    // v4 labels the spacing of the points; the recorded v3 forecasts do not.
    const versioned = version === "v4" ? { ...body, temporalGranularity: deps.forecastGranularity } : body
    return { status: 200, text: shapeForecast(versioned, fault) }
  })

const latest = (deps: ApiDeps) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const params = yield* HttpServerRequest.ParsedSearchParams
    const query = { zone: firstParam(params, "zone"), factorType: firstParam(params, "emissionFactorType") }
    if (query.zone !== undefined) yield* deps.stats.countZone(query.zone)
    return yield* withFaults(deps, { route: "latest", zone: query.zone }, (fault) =>
      Effect.flatMap(checkToken(deps, request), (credentials) =>
        latestReply(deps, credentials, query, fault)))
  })

const forecast = (deps: ApiDeps, version: ApiVersion) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const params = yield* HttpServerRequest.ParsedSearchParams
    const query = {
      zone: firstParam(params, "zone"),
      factorType: firstParam(params, "emissionFactorType"),
      horizonHours: firstParam(params, "horizonHours")
    }
    if (query.zone !== undefined) yield* deps.stats.countForecastZone(query.zone)
    return yield* withFaults(deps, { route: "forecast", zone: query.zone }, (fault) =>
      Effect.flatMap(checkToken(deps, request), (credentials) =>
        forecastReply(deps, version, credentials, query, fault)))
  })

/** History has no faults of its own: it is here for comparing clients, not for testing the poller. */
const history = (deps: ApiDeps) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const params = yield* HttpServerRequest.ParsedSearchParams
    const query = { zone: firstParam(params, "zone"), factorType: firstParam(params, "emissionFactorType") }
    const cleared = clearReading(deps, yield* checkToken(deps, request), query, "latest")
    if (isReply(cleared)) return json(cleared)
    const body = historyReading(deps.seed, cleared.zone, yield* Clock.currentTimeMillis, cleared.factorType)
    return json(jsonReply(200, body))
  })

const zones = (deps: ApiDeps) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    return yield* withFaults(deps, { route: "zones", zone: undefined }, (fault) =>
      Effect.map(checkToken(deps, request), ({ verdict }): Reply =>
        verdict === "invalid"
          ? jsonReply(401, Bodies.invalidToken)
          : {
            status: 200,
            text: shapeZones(zonesBody(deps.catalogue, deps.plan, deps.access, verdict === "valid"), fault)
          }))
  })

const LATEST_PATH = "/carbon-intensity/latest"
const FORECAST_PATH = "/carbon-intensity/forecast"
const HISTORY_PATH = "/carbon-intensity/history"
const ZONES_PATH = "/zones"

export const makeApiRouter = (deps: ApiDeps) =>
  API_VERSIONS.reduce(
    (router, version) =>
      router.pipe(
        HttpRouter.get(`/${version}${LATEST_PATH}`, latest(deps)),
        HttpRouter.get(`/${version}${FORECAST_PATH}`, forecast(deps, version)),
        HttpRouter.get(`/${version}${HISTORY_PATH}`, history(deps)),
        HttpRouter.get(`/${version}${ZONES_PATH}`, zones(deps))
      ),
    HttpRouter.empty
  )

/** The endpoint and API version of a request path, for the counters. */
export const classify = (url: string): { readonly endpoint: Endpoint; readonly version: ApiVersion | undefined } => {
  const path = url.split("?")[0] ?? ""
  const version = API_VERSIONS.find((v) => path.startsWith(`/${v}/`))
  const rest = version === undefined ? "" : path.slice(version.length + 1)
  const endpoint: Endpoint = rest === LATEST_PATH
    ? "latest"
    : rest === FORECAST_PATH
    ? "forecast"
    : rest === HISTORY_PATH
    ? "history"
    : rest === ZONES_PATH
    ? "zones"
    : "other"
  return { endpoint, version }
}
