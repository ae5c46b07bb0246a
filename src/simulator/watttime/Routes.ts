/**
 * WattTime's v3 routes the poller uses, at the simulator's origin (WattTime's base URL has no
 * version prefix): `GET /login` with HTTP Basic auth, then `GET /v3/forecast` and
 * `GET /v3/my-access` with the bearer token it issued, which expires after 30 minutes of the
 * simulator's clock. Armed faults act first, as for the Electricity Maps routes; a rule reaches
 * these routes only when it names one (`"route": "watttime-forecast"`, ...).
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Clock, Effect, Ref } from "effect"
import { firstParam, withFaults } from "../ApiRoutes.js"
import type { BodyFault } from "../BodyFaults.js"
import type { FaultBook } from "../FaultBook.js"
import { jsonReply, type Reply } from "../FaultResponses.js"
import type { StatsRecorder } from "../Stats.js"
import * as Bodies from "./Bodies.js"
import { FORECAST_PATH, LOGIN_PATH, MY_ACCESS_PATH } from "./Paths.js"
import {
  DEFAULT_HORIZON_HOURS,
  isRegionCode,
  MAX_HORIZON_HOURS,
  myAccessBody,
  type RegionCode,
  shapeSignal,
  signalBody,
  TOKEN_LIFETIME_MS,
  tokenFor
} from "./Signal.js"

export interface WattTimeDeps {
  readonly seed: string
  readonly username: string
  readonly password: string
  /** Regions the account may query; the others answer 403 "Invalid scope". */
  readonly plan: ReadonlyArray<RegionCode>
  readonly stats: StatsRecorder
  readonly faults: FaultBook
}

interface Tokens {
  readonly issued: number
  /** Token to the time it was issued; expired ones are dropped at each login. */
  readonly valid: ReadonlyMap<string, number>
}

/** `user:password` from an HTTP Basic header, UTF-8 (RFC 7617); undefined when it is not one. */
const basicCredentials = (header: string | undefined): string | undefined => {
  const encoded = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? "")?.[1]
  if (encoded === undefined) return undefined
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)))
  } catch {
    return undefined
  }
}

/** `horizon_hours` as WattTime takes it: an integer in 0..72, 24 when absent. */
const parseHorizon = (raw: string | undefined): number | undefined => {
  if (raw === undefined) return DEFAULT_HORIZON_HOURS
  const hours = Number(raw)
  return /^\d{1,2}$/.test(raw) && hours <= MAX_HORIZON_HOURS ? hours : undefined
}

export const makeWattTimeRouter = (deps: WattTimeDeps) =>
  Effect.map(Ref.make<Tokens>({ issued: 0, valid: new Map() }), (tokens) => {
    const plan: ReadonlySet<string> = new Set(deps.plan)
    const refused = (reply: Reply) => Effect.as(deps.stats.countUnauthorized, reply)

    const issue = (now: number) =>
      Ref.modify(tokens, (state) => {
        const token = tokenFor(deps.seed, state.issued + 1)
        const valid = new Map([...state.valid].filter(([, at]) => now - at < TOKEN_LIFETIME_MS)).set(token, now)
        return [token, { issued: state.issued + 1, valid }]
      })

    /** The request's bearer token is one this simulator issued less than 30 minutes ago. */
    const authorized = (request: HttpServerRequest.HttpServerRequest, now: number) =>
      Effect.map(Ref.get(tokens), (state) => {
        const token = /^Bearer (\S+)$/.exec(request.headers["authorization"] ?? "")?.[1]
        const at = token === undefined ? undefined : state.valid.get(token)
        return at !== undefined && now - at < TOKEN_LIFETIME_MS
      })

    const login = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      return yield* withFaults(deps, { route: "watttime-login", zone: undefined }, () =>
        Effect.gen(function*() {
          if (basicCredentials(request.headers["authorization"]) !== `${deps.username}:${deps.password}`) {
            return yield* refused({ status: 403, text: Bodies.forbiddenHtml, contentType: "text/html" })
          }
          return jsonReply(200, { token: yield* issue(yield* Clock.currentTimeMillis) })
        }))
    })

    type SearchParams = Readonly<Record<string, string | ReadonlyArray<string>>>

    /** The checks of a data call, in order: token, parameters, region, plan. */
    const forecastReply = (
      request: HttpServerRequest.HttpServerRequest,
      searchParams: SearchParams,
      region: string | undefined,
      bodyFault: BodyFault | undefined
    ) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (!(yield* authorized(request, now))) return yield* refused(jsonReply(401, Bodies.tokenRefused))
        const hours = parseHorizon(firstParam(searchParams, "horizon_hours"))
        if (region === undefined || region === "") return jsonReply(400, Bodies.invalidQuery("region is required"))
        if (firstParam(searchParams, "signal_type") !== "co2_moer") {
          return jsonReply(400, Bodies.invalidQuery("the simulator serves signal_type=co2_moer only"))
        }
        if (hours === undefined) {
          return jsonReply(400, Bodies.invalidQuery(`horizon_hours must be an integer from 0 to ${MAX_HORIZON_HOURS}`))
        }
        if (!isRegionCode(region)) return jsonReply(400, Bodies.invalidQuery(`unknown region ${region}`))
        if (!plan.has(region)) return jsonReply(403, Bodies.invalidScope)
        return { status: 200, text: shapeSignal(signalBody(deps.seed, region, now, hours), bodyFault) }
      })

    /** Counted per region before any check, like the Electricity Maps routes count zones. */
    const forecast = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const searchParams = yield* HttpServerRequest.ParsedSearchParams
      const region = firstParam(searchParams, "region")
      if (region !== undefined) yield* deps.stats.countWattTimeRegion(region)
      return yield* withFaults(
        deps,
        { route: "watttime-forecast", zone: region },
        (bodyFault) => forecastReply(request, searchParams, region, bodyFault)
      )
    })

    const myAccess = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      return yield* withFaults(
        deps,
        { route: "watttime-my-access", zone: undefined },
        () =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.flatMap(authorized(request, now), (ok) =>
              ok
                ? Effect.succeed(jsonReply(200, myAccessBody(deps.plan)))
                : refused(jsonReply(401, Bodies.tokenRefused))))
      )
    })

    return HttpRouter.empty.pipe(
      HttpRouter.get(LOGIN_PATH, login),
      HttpRouter.get(FORECAST_PATH, forecast),
      HttpRouter.get(MY_ACCESS_PATH, myAccess)
    )
  })
