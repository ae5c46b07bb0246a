/**
 * An `HttpClient` made with `HttpClient.make` that answers like WattTime's v3 API from the bodies in
 * test/fixtures/watttime/ (origins in its SOURCES.md): `/login` with HTTP Basic auth, bearer
 * tokens that can be expired at will, `/v3/forecast` and `/v3/my-access`, with scripted answers
 * per route. It records every request, whatever its host, so a test can see where credentials went.
 */
import { HttpClient, type HttpClientRequest } from "@effect/platform"
import { Clock, Effect, Layer, Schema } from "effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { type Answer, play, type RecordedRequest, respond } from "./FakeApi.js"

const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/watttime/", import.meta.url))

export const wattTimeFixture = (name: string): string => readFileSync(`${FIXTURES_DIR}${name}`, "utf8")

export const WT_BASE = "https://wt.test"
export const WT_USERNAME = "wt-user"
export const WT_PASSWORD = "wt-pass-5e4d3c-must-never-leak"

/** `{"error","message"}` with the 2024 "Invalid scope" message (error.invalid-scope.*). */
export const invalidScopeBody = JSON.stringify({
  error: "Invalid query parameters",
  message: wattTimeFixture("error.invalid-scope.2024.txt").trim()
})

/** The fake's own wording: WattTime's 401 body for an expired token was never recorded. */
export const tokenRefusedBody = JSON.stringify({ error: "Unauthorized", message: "token expired or invalid" })

const FIVE_MINUTES = 300_000

/** WattTime's time layout: `2022-07-15T00:05:00+00:00`. */
const wattTimeTime = (epochMillis: number): string => new Date(epochMillis).toISOString().replace(".000Z", "+00:00")

const RecordedMeta = Schema.parseJson(
  Schema.Struct({ meta: Schema.Record({ key: Schema.String, value: Schema.Unknown }) })
)

/**
 * A `/v3/forecast` body shaped like forecast.docs-example.json: `count` points every 5 minutes from
 * the period containing `nowMs`, every value `lbs` (lbs/MWh), generated at the first point.
 */
export const signalBody = (region: string, nowMs: number, count: number, lbs: number): string => {
  const first = Math.floor(nowMs / FIVE_MINUTES) * FIVE_MINUTES
  const recorded = Schema.decodeUnknownSync(RecordedMeta)(wattTimeFixture("forecast.docs-example.json"))
  return JSON.stringify({
    data: Array.from({ length: count }, (_, i) => ({ point_time: wattTimeTime(first + i * FIVE_MINUTES), value: lbs })),
    meta: { ...recorded.meta, region, generated_at: wattTimeTime(first) }
  })
}

export interface FakeWattTimeOptions {
  /** lbs/MWh per region for healthy answers; a region not listed answers 403 "Invalid scope". */
  readonly values?: Readonly<Record<string, number>>
  /** Scripted answers, one per request before the healthy answer: keys `login`, `my-access`, or a region. */
  readonly scripts?: Readonly<Record<string, ReadonlyArray<Answer>>>
  readonly myAccessBody?: string
}

const basic = (username: string, password: string) => `Basic ${btoa(`${username}:${password}`)}`

export const makeFakeWattTime = (options: FakeWattTimeOptions = {}) => {
  const scripts = new Map(Object.entries(options.scripts ?? {}).map(([key, answers]) => [key, [...answers]]))
  const requests: Array<RecordedRequest> = []
  const valid = new Set<string>()
  let issued = 0
  let logins = 0
  const dataCalls = new Map<string, number>()

  const scripted = (key: string): Answer | undefined => scripts.get(key)?.shift()

  const login = (request: HttpClientRequest.HttpClientRequest): Answer => {
    logins++
    const answer = scripted("login")
    if (answer !== undefined) return answer
    if (request.headers["authorization"] !== basic(WT_USERNAME, WT_PASSWORD)) {
      return respond(403, wattTimeFixture("error.403-forbidden.nginx.html"), { "content-type": "text/html" })
    }
    const token = `tok-${++issued}`
    valid.add(token)
    return respond(200, JSON.stringify({ token }))
  }

  const authorized = (request: HttpClientRequest.HttpClientRequest): boolean =>
    valid.has((request.headers["authorization"] ?? "").replace(/^Bearer /, ""))

  const forecast = (request: HttpClientRequest.HttpClientRequest, url: URL): Effect.Effect<Answer> =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const region = url.searchParams.get("region") ?? ""
      dataCalls.set(region, (dataCalls.get(region) ?? 0) + 1)
      const answer = scripted(region)
      if (answer !== undefined) return answer
      if (!authorized(request)) return respond(401, tokenRefusedBody)
      const lbs = options.values?.[region]
      if (lbs === undefined) return respond(403, invalidScopeBody)
      const hours = Number(url.searchParams.get("horizon_hours") ?? "24")
      return respond(200, signalBody(region, now, Math.max(1, hours * 12), lbs))
    })

  const myAccess = (request: HttpClientRequest.HttpClientRequest): Answer =>
    scripted("my-access") ?? (authorized(request)
      ? respond(200, options.myAccessBody ?? JSON.stringify({ signal_types: [] }))
      : respond(401, tokenRefusedBody))

  const client = HttpClient.make((request, url) => {
    requests.push({ url, headers: { ...request.headers } })
    if (url.origin !== WT_BASE) return play(request, respond(404, "not WattTime"))
    if (url.pathname === "/login") return play(request, login(request))
    if (url.pathname === "/v3/forecast") {
      return Effect.flatMap(forecast(request, url), (answer) => play(request, answer))
    }
    if (url.pathname === "/v3/my-access") return play(request, myAccess(request))
    return play(request, respond(404, JSON.stringify({ error: "Not found" })))
  })

  return {
    layer: Layer.succeed(HttpClient.HttpClient, client),
    requests,
    get logins() {
      return logins
    },
    dataCallsFor: (region: string) => dataCalls.get(region) ?? 0,
    /** Every token issued so far stops working, as after WattTime's 30 minutes. */
    expireTokens: () => valid.clear()
  }
}
