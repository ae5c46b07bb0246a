/**
 * The UK Carbon Intensity API's routes the poller uses, under `/ukci` (the handle's
 * `ukciBaseUrl`): the current half-hour of Great Britain (`/intensity`) and of a region
 * (`/regional/regionid/{id}`), and their forward windows (`/intensity/{from}/fw24h|fw48h`,
 * `/regional/intensity/{from}/fw24h|fw48h/regionid/{id}`). No credentials, as the real API.
 *
 * Armed faults act first, as for the Electricity Maps routes (rules with `"provider": "ukci"`);
 * then the API's own checks: a regional route refuses `Content-Type: text/html` (400, as the real
 * one does), an unknown region or an unreadable `{from}` gets 400.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Clock, Effect } from "effect"
import * as Bodies from "../Bodies.js"
import type { FaultTarget } from "../FaultBook.js"
import { type FaultFlowDeps, withFaults } from "../FaultFlow.js"
import { answer, isAnswerFault, json, jsonReply, type Reply } from "../FaultResponses.js"
import type { Endpoint } from "../Stats.js"
import {
  badRequest,
  isUkciBodyFault,
  type Layout,
  serverError,
  shapeUkci,
  type UkciBodyFault,
  unsupportedMediaType
} from "./Answers.js"
import { forwardPeriods, halfHourStart, period, type UkZone } from "./Model.js"
import { regionOf } from "./Regions.js"

export const UKCI_PREFIX = "/ukci"

export interface UkciDeps extends FaultFlowDeps {
  readonly seed: string
}

const WINDOW_HOURS: Readonly<Record<string, number>> = { fw24h: 24, fw48h: 48 }

/** `{from}` as the API takes it: `YYYY-MM-DDThh:mmZ`, seconds and a `+00:00` offset accepted too. */
const parseFrom = (text: string): number | undefined =>
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : undefined

/** Faults first (with the route's own reading of each), then the checks, then `normal`. */
const respond = (
  deps: UkciDeps,
  target: FaultTarget & { readonly zone: string },
  normal: (fault: UkciBodyFault | undefined) => Effect.Effect<Reply>
): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
  withFaults(deps, target, normal(undefined), (fault, nowMs) => {
    if (isUkciBodyFault(fault)) return Effect.map(normal(fault), json)
    if (fault.kind === "server-error") return Effect.succeed(json(jsonReply(fault.status, serverError(fault.status))))
    if (isAnswerFault(fault)) return answer(fault, target.zone, nowMs)
    // Rules for these routes are refused when armed (see `routesOfKind`): reaching here is a bug.
    return Effect.die(new Error(`fault ${fault.kind} cannot act on the UK Carbon Intensity routes`))
  })

type Check = { readonly _tag: "Refused"; readonly reply: Reply } | {
  readonly _tag: "Cleared"
  readonly zone: UkZone
  readonly layout: Layout
}

/** The API's checks of a route's zone: `national`, or a region the request may ask for. */
const checkZone = (id: string | undefined, contentType: string | undefined, inList: boolean): Check => {
  if (id === undefined) return { _tag: "Cleared", zone: "national", layout: { _tag: "National" } }
  if ((contentType ?? "").toLowerCase().startsWith("text/html")) {
    return { _tag: "Refused", reply: jsonReply(400, unsupportedMediaType) }
  }
  const found = regionOf(id)
  if (found === undefined) {
    return { _tag: "Refused", reply: jsonReply(400, badRequest(`Invalid region ID '${id}': use 1 to 17`)) }
  }
  return { _tag: "Cleared", zone: found.id, layout: { _tag: "Region", ...found, inList } }
}

const latest = (deps: UkciDeps) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const { id } = yield* HttpRouter.params
    const zone = id ?? "national"
    yield* deps.stats.countUkciZone(zone)
    return yield* respond(deps, { provider: "ukci", route: "latest", zone }, (fault) =>
      Effect.gen(function*() {
        const checked = checkZone(id, request.headers["content-type"], true)
        if (checked._tag === "Refused") return checked.reply
        const now = yield* Clock.currentTimeMillis
        const current = period(deps.seed, checked.zone, halfHourStart(now), now)
        return shapeUkci({ layout: checked.layout, periods: [current] }, fault)
      }))
  })

const forward = (deps: UkciDeps) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const params = yield* HttpRouter.params
    const zone = params.id ?? "national"
    const hours = WINDOW_HOURS[params.window ?? ""]
    if (hours === undefined) return json(jsonReply(404, Bodies.notFound))
    yield* deps.stats.countUkciForecastZone(zone)
    return yield* respond(deps, { provider: "ukci", route: "forecast", zone }, (fault) =>
      Effect.gen(function*() {
        const checked = checkZone(params.id, request.headers["content-type"], false)
        if (checked._tag === "Refused") return checked.reply
        const from = parseFrom(params.from ?? "")
        if (from === undefined) {
          return jsonReply(400, badRequest(`Invalid datetime '${params.from}': use YYYY-MM-DDThh:mmZ`))
        }
        const now = yield* Clock.currentTimeMillis
        return shapeUkci(
          { layout: checked.layout, periods: forwardPeriods(deps.seed, checked.zone, from, hours, now) },
          fault
        )
      }))
  })

export const makeUkciRouter = (deps: UkciDeps) =>
  HttpRouter.empty.pipe(
    HttpRouter.get("/intensity", latest(deps)),
    HttpRouter.get("/regional/regionid/:id", latest(deps)),
    HttpRouter.get("/intensity/:from/:window", forward(deps)),
    HttpRouter.get("/regional/intensity/:from/:window/regionid/:id", forward(deps)),
    HttpRouter.prefixAll(UKCI_PREFIX)
  )

const LATEST_PATHS = [/^\/intensity$/, /^\/regional\/regionid\/[^/]+$/]
const FORWARD_PATHS = [
  /^\/intensity\/[^/]+\/fw(?:24|48)h$/,
  /^\/regional\/intensity\/[^/]+\/fw(?:24|48)h\/regionid\/[^/]+$/
]

/** The counters' endpoint of a path under `/ukci`; undefined for any other path. */
export const classifyUkci = (path: string): Endpoint | undefined => {
  if (!path.startsWith(`${UKCI_PREFIX}/`)) return undefined
  const rest = path.slice(UKCI_PREFIX.length)
  if (LATEST_PATHS.some((pattern) => pattern.test(rest))) return "ukci-latest"
  if (FORWARD_PATHS.some((pattern) => pattern.test(rest))) return "ukci-forecast"
  return "other"
}
