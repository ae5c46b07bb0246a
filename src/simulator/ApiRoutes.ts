/**
 * The two Electricity Maps endpoints the poller uses, with the real API's checks in its order:
 * token, parameters, zone, plan. Armed faults act before any of that, as a proxy, a rate limiter
 * or a failing backend in front of the API would.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Clock, Effect, Option } from "effect"
import * as Bodies from "./Bodies.js"
import type { FaultBook, FaultTarget } from "./FaultBook.js"
import { answer, json, type Reply, trickle } from "./FaultResponses.js"
import { type EmissionFactorType, latestReading } from "./Intensity.js"
import type { StatsRecorder } from "./Stats.js"
import { inPlan, type Plan, type ZoneCatalogue, zonesBody } from "./Zones.js"

export interface ApiDeps {
  readonly seed: string
  /** The only key accepted; `undefined` accepts any non-empty key. */
  readonly apiKey: string | undefined
  readonly plan: Plan
  readonly catalogue: ZoneCatalogue
  readonly stats: StatsRecorder
  readonly faults: FaultBook
}

type Token = "valid" | "missing" | "invalid"

const checkToken = (deps: ApiDeps, request: HttpServerRequest.HttpServerRequest): Effect.Effect<Token> => {
  const token = request.headers["auth-token"]
  const verdict: Token = token === undefined || token === ""
    ? "missing"
    : deps.apiKey === undefined || token === deps.apiKey
    ? "valid"
    : "invalid"
  return verdict === "valid" ? Effect.succeed(verdict) : Effect.as(deps.stats.countUnauthorized, verdict)
}

const firstParam = (params: Readonly<Record<string, string | ReadonlyArray<string>>>, name: string): string | undefined => {
  const value = params[name]
  return typeof value === "string" ? value : value?.[0]
}

/**
 * Runs the fault decision for a request, then either the fault's own answer or the normal one
 * (`normal(nullIntensity)`), possibly trickled.
 */
const withFaults = (
  deps: ApiDeps,
  target: FaultTarget,
  normal: (nullIntensity: boolean) => Effect.Effect<Reply>
): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
  Effect.gen(function*() {
    const decision = yield* deps.faults.decide(target)
    yield* Effect.forEach(decision.fired, deps.stats.countFault, { discard: true })
    if (decision.delayMs > 0) yield* Effect.sleep(decision.delayMs)
    if (Option.isNone(decision.fault)) return json(yield* normal(false))
    const fault = decision.fault.value
    switch (fault.kind) {
      case "null-intensity":
        return json(yield* normal(true))
      case "slow":
        return trickle(yield* normal(false), fault.chunkBytes, fault.intervalMs)
      default:
        return yield* answer(fault, target.zone ?? "", yield* Clock.currentTimeMillis)
    }
  })

const parseFactorType = (raw: string | undefined): EmissionFactorType | undefined =>
  raw === undefined || raw === "lifecycle" ? "lifecycle" : raw === "direct" ? "direct" : undefined

const latestReply = (
  deps: ApiDeps,
  token: Token,
  zone: string | undefined,
  rawFactorType: string | undefined,
  nullIntensity: boolean
): Effect.Effect<Reply> =>
  Effect.gen(function*() {
    if (token === "missing") return { status: 401, body: Bodies.missingHeader }
    if (token === "invalid") return { status: 401, body: Bodies.invalidToken }
    if (zone === undefined || zone === "") {
      return { status: 400, body: Bodies.badRequest("Missing query parameter 'zone'") }
    }
    const factorType = parseFactorType(rawFactorType)
    if (factorType === undefined) {
      return {
        status: 400,
        body: Bodies.badRequest(`Invalid emissionFactorType '${rawFactorType}': use 'lifecycle' or 'direct'`)
      }
    }
    if (!Object.hasOwn(deps.catalogue, zone)) return { status: 404, body: Bodies.unknownZone(zone) }
    if (!inPlan(deps.plan, zone)) return { status: 401, body: Bodies.zoneNotInPlan(zone) }
    const reading = latestReading(deps.seed, zone, yield* Clock.currentTimeMillis, factorType)
    return { status: 200, body: nullIntensity ? { ...reading, carbonIntensity: null } : reading }
  })

const latest = (deps: ApiDeps) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const params = yield* HttpServerRequest.ParsedSearchParams
    const zone = firstParam(params, "zone")
    const factorType = firstParam(params, "emissionFactorType")
    if (zone !== undefined) yield* deps.stats.countZone(zone)
    return yield* withFaults(deps, { endpoint: "latest", zone }, (nullIntensity) =>
      Effect.flatMap(checkToken(deps, request), (token) => latestReply(deps, token, zone, factorType, nullIntensity)))
  })

const zones = (deps: ApiDeps) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    return yield* withFaults(deps, { endpoint: "zones", zone: undefined }, () =>
      Effect.map(checkToken(deps, request), (token): Reply =>
        token === "invalid"
          ? { status: 401, body: Bodies.invalidToken }
          : { status: 200, body: zonesBody(deps.catalogue, deps.plan, token === "valid") }))
  })

export const API_PREFIX = "/v3"

export const makeApiRouter = (deps: ApiDeps) =>
  HttpRouter.empty.pipe(
    HttpRouter.get(`${API_PREFIX}/carbon-intensity/latest`, latest(deps)),
    HttpRouter.get(`${API_PREFIX}/zones`, zones(deps))
  )

/** The endpoint a path belongs to, for the counters. */
export const endpointOf = (url: string): "latest" | "zones" | "other" => {
  const path = url.split("?")[0]
  return path === `${API_PREFIX}/carbon-intensity/latest`
    ? "latest"
    : path === `${API_PREFIX}/zones`
    ? "zones"
    : "other"
}
