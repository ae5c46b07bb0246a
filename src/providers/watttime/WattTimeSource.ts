/**
 * The WattTime (API v3) adapter of the source port: the marginal operating emissions rate
 * (`co2_moer`, marginal and direct) of a WattTime region, converted from lbs/MWh to gCO2eq/kWh.
 *
 * - Login: `GET {base}/login` with HTTP Basic auth gives a bearer token valid 30 minutes
 *   (src/providers/watttime/Tokens.ts keeps it, renews it, and logs in once more on a refusal).
 * - Latest: the first point of `GET {base}/v3/forecast?horizon_hours=0`, the current 5-minute
 *   period; WattTime's other current-value route, `/v3/signal-index`, is a percentile, not lbs/MWh,
 *   and `/v3/historical` needs a time range and may lag by hours.
 * - Forecast: `GET {base}/v3/forecast?horizon_hours=H` (5-minute points, H up to 72).
 * - Catalogue: `GET {base}/v3/my-access`, the regions the account may query.
 *
 * The client is shaped once, here, with the base URL: the password and the token only ever go to
 * `WATTTIME_API_URL`'s host, redirects are not followed (the platform client does not), and no
 * other provider's client carries them. Every request takes a permit of a 10-per-second throttle
 * (WattTime's published limit), has a timeout and a bounded body, and is retried when transient.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as UrlParams from "@effect/platform/UrlParams"
import { Effect, Either, Layer, Option, Redacted } from "effect"
import { WattTimeConfig } from "../../config/WattTimeConfig.js"
import type { Forecast } from "../../domain/Forecast.js"
import { basisGiven } from "../../domain/ProviderFacts.js"
import type { Reading, ZoneCatalogue } from "../../domain/Reading.js"
import { CarbonSource } from "../../ports/CarbonSource.js"
import { exchange } from "../http/Exchange.js"
import { shapeClient } from "../http/ProviderCalls.js"
import { makeRedactor, type Redactor } from "../http/Redaction.js"
import { decodeJson } from "../http/ResponseBody.js"
import { retrying } from "../http/RetryPolicy.js"
import { makeThrottle } from "../http/Throttle.js"
import { SIGNAL_TYPE, signalProblem, toCatalogue, toForecast, toReading } from "./Answers.js"
import { makePlanRefusals } from "./PlanRefusals.js"
import { makeTokens, type Token } from "./Tokens.js"
import {
  badResponse,
  freshTokenRefused,
  fromHttpFailure,
  noCredentials,
  noData,
  planKnown,
  refused,
  type Step,
  toSourceError,
  type WattTimeError
} from "./WattTimeError.js"
import { LoginAnswer, MyAccessAnswer, SignalAnswer } from "./Wire.js"

/** WattTime allows 3,000 requests per rolling 5 minutes per user: 10 per second on average. */
export const REQUESTS_PER_SECOND = 10

/** `horizon_hours` WattTime accepts: 0 (the current value only) to 72. */
export const MAX_HORIZON_HOURS = 72

const decodeLogin = decodeJson(LoginAnswer)
const decodeSignal = decodeJson(SignalAnswer)
const decodeMyAccess = decodeJson(MyAccessAnswer)

/** A token goes into a header: one line of printable ASCII. */
const HEADER_SAFE = /^[\x21-\x7e]+$/

/** HTTP Basic credentials, UTF-8 encoded (RFC 7617; `btoa` alone would throw past Latin-1). */
const basicCredentials = (username: string, password: string): string =>
  btoa(String.fromCharCode(...new TextEncoder().encode(`${username}:${password}`)))

const signalRequest = (region: string, horizonHours: number) =>
  HttpClientRequest.get("/v3/forecast", {
    urlParams: { region, signal_type: SIGNAL_TYPE, horizon_hours: String(horizonHours) }
  })

export interface Options {
  /** The throttle's rate; 0 is no throttle (tests that are not about the rate). */
  readonly requestsPerSecond: number
}

export const makeWith = (options: Options) =>
  Effect.gen(function*() {
    const settings = yield* WattTimeConfig
    // The request timeout, retries and body cap are the service's, shared by every provider.
    const transport = { ...settings, baseUrl: settings.apiUrl }
    const throttle = yield* makeThrottle(options.requestsPerSecond)
    const retry = retrying<WattTimeError>(transport, throttle)
    // No credential in the shaped client: the login and the token are set per request, below, on
    // this client only, whose every request goes to WATTTIME_API_URL.
    const client = shapeClient(yield* HttpClient.HttpClient, settings.apiUrl, {
      provider: "watttime",
      // The current value and the forecast share /v3/forecast: horizon_hours=0 is the current value.
      kindOf: ({ url, urlParams }) =>
        url.endsWith("/login")
          ? "login"
          : url.endsWith("/my-access")
          ? "catalogue"
          : UrlParams.getFirst(urlParams, "horizon_hours").pipe(Option.getOrUndefined) === "0"
          ? "latest"
          : "forecast"
    })

    const basic = Option.map(settings.credentials, ({ password, username }) => ({
      password: Redacted.value(password),
      header: basicCredentials(Redacted.value(username), Redacted.value(password))
    }))
    const secrets = Option.match(basic, { onNone: () => [], onSome: ({ header, password }) => [password, header] })
    const loginRedactor = makeRedactor(...secrets)

    /** One attempt: the exchange, then the body, or what a refusal means at this step. */
    const attempt = <A>(
      region: string | undefined,
      step: Step,
      request: HttpClientRequest.HttpClientRequest,
      redactor: Redactor,
      onBody: (text: string, status: number) => Either.Either<A, WattTimeError>
    ): Effect.Effect<A, WattTimeError> =>
      exchange(client, request, transport, redactor.text).pipe(
        Effect.mapError((failure) => fromHttpFailure(region, step, failure)),
        Effect.flatMap((answer) =>
          answer.ok ? onBody(answer.text, answer.status) : Effect.fail(refused(region, step, answer))
        )
      )

    const login = Option.match(basic, {
      onNone: () => Effect.fail(noCredentials),
      onSome: ({ header }) =>
        retry(
          "watttime:(login)",
          attempt(
            undefined,
            "login",
            HttpClientRequest.get("/login").pipe(HttpClientRequest.setHeader("authorization", `Basic ${header}`)),
            loginRedactor,
            (text, status) =>
              Either.flatMap(
                Either.mapLeft(
                  decodeLogin(text, loginRedactor.text),
                  (problem) => badResponse(undefined, "login", status, problem)
                ),
                ({ token }) =>
                  HEADER_SAFE.test(token)
                    ? Either.right(Redacted.make(token))
                    // Never quoted: it may be most of a real token.
                    : Either.left(
                      badResponse(undefined, "login", status, "the token is not one line of printable ASCII")
                    )
              )
          )
        )
    })
    const tokens = yield* makeTokens(login, secrets)
    const planRefusals = yield* makePlanRefusals

    /** A data call with the current token, and once more with a new one if WattTime refuses it. */
    const authorized = <A>(
      region: string | undefined,
      request: HttpClientRequest.HttpClientRequest,
      onBody: (text: string, status: number, redactor: Redactor) => Either.Either<A, WattTimeError>
    ): Effect.Effect<A, WattTimeError> => {
      const call = (token: Token) =>
        retry(
          region === undefined ? "watttime:(my-access)" : `watttime:${region}`,
          attempt(
            region,
            "data",
            HttpClientRequest.bearerToken(request, token.value),
            token.redactor,
            (text, status) => onBody(text, status, token.redactor)
          )
        )
      return Effect.flatMap(tokens.current(region), (token) =>
        call(token).pipe(
          Effect.catchIf(
            (error) => error.tokenRefused,
            () =>
              Effect.flatMap(
                tokens.renew(region, token),
                (fresh) =>
                  call(fresh).pipe(Effect.mapError((error) => (error.tokenRefused ? freshTokenRefused(error) : error)))
              )
          )
        ))
    }

    /** A region refused as outside the plan is not asked again until its recheck; see PlanRefusals. */
    const withinPlan = <A>(region: string, call: Effect.Effect<A, WattTimeError>): Effect.Effect<A, WattTimeError> =>
      Effect.flatMap(planRefusals.pending(region), (pending) =>
        Option.isSome(pending)
          ? Effect.fail(planKnown(region, pending.value.firstAt, pending.value.recheckAt))
          : call.pipe(
            Effect.tap(() => planRefusals.answered(region)),
            Effect.catchIf(
              (error) => error.refusal === "Plan",
              (error) =>
                Effect.flatMap(
                  planRefusals.refused(region),
                  ({ before, now }) =>
                    Effect.fail(Option.isSome(before) ? planKnown(region, now.firstAt, now.recheckAt) : error)
                )
            )
          ))

    const signal = (text: string, status: number, region: string, redactor: Redactor) =>
      Either.flatMap(
        Either.mapLeft(decodeSignal(text, redactor.text), (problem) => badResponse(region, "data", status, problem)),
        (answer) => {
          const problem = signalProblem(answer)
          return problem === undefined
            ? Either.right(answer)
            : Either.left(badResponse(region, "data", status, problem))
        }
      )

    const latest = (region: string): Effect.Effect<Reading, WattTimeError> =>
      withinPlan(
        region,
        authorized(region, signalRequest(region, 0), (text, status, redactor) =>
          Either.flatMap(signal(text, status, region, redactor), (answer) =>
            Either.mapLeft(toReading(answer, redactor), (problem) => noData(region, status, problem))))
      )

    const forecast = (region: string, horizonHours: number): Effect.Effect<Forecast, WattTimeError> =>
      withinPlan(
        region,
        authorized(
          region,
          signalRequest(region, Math.min(MAX_HORIZON_HOURS, Math.max(1, Math.ceil(horizonHours)))),
          (text, status, redactor) =>
            Either.map(signal(text, status, region, redactor), (answer) => toForecast(answer, redactor))
        )
      )

    const catalogue: Effect.Effect<ZoneCatalogue, WattTimeError> = authorized(
      undefined,
      HttpClientRequest.get("/v3/my-access"),
      (text, status, redactor) =>
        Either.map(
          Either.mapLeft(
            decodeMyAccess(text, redactor.text),
            (problem) => badResponse(undefined, "data", status, problem)
          ),
          toCatalogue
        )
    )

    return CarbonSource.of({
      provider: "watttime",
      name: "WattTime",
      // co2_moer: the marginal operating emissions rate, combustion only.
      basis: basisGiven("watttime", "direct"),
      requestTimeout: settings.requestTimeout,
      // Errors cross the port here, and only here.
      latest: (region) => Effect.mapError(latest(region), toSourceError),
      forecast: (region, horizonHours) => Effect.mapError(forecast(region, horizonHours), toSourceError),
      catalogue: Effect.mapError(catalogue, toSourceError),
      // /v3/my-access lists the regions the account may query, not every region WattTime has.
      catalogueLists: "the account's zones"
    })
  })

export const make = makeWith({ requestsPerSecond: REQUESTS_PER_SECOND })

/** The adapter over an `HttpClient` (provided by the platform) and `WattTimeConfig`. */
export const layer = Layer.scoped(CarbonSource, make)
