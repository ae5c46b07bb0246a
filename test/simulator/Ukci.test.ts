/** The simulator's UK Carbon Intensity routes, their faults and counters, over real loopback HTTP. */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Schema, Scope, TestClock } from "effect"
import { FaultRule } from "../../src/simulator/Fault.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import { getJson, getText, latestUrl, provideClient, send } from "./support.js"

/** 19:40 UTC: the current half-hour is 19:30–20:00. */
const NOW = Date.parse("2024-03-06T19:40:00.000Z")

const Intensity = Schema.Struct({
  forecast: Schema.Number,
  actual: Schema.optional(Schema.NullOr(Schema.Number)),
  index: Schema.Literal("very low", "low", "moderate", "high", "very high")
})
const Period = Schema.Struct({
  from: Schema.String.pipe(Schema.pattern(/^\d{4}-\d\d-\d\dT\d\d:[03]0Z$/)),
  to: Schema.String.pipe(Schema.pattern(/^\d{4}-\d\d-\d\dT\d\d:[03]0Z$/)),
  intensity: Intensity,
  generationmix: Schema.optional(Schema.Array(Schema.Struct({ fuel: Schema.String, perc: Schema.Number })))
})
const Region = Schema.Struct({
  regionid: Schema.Number,
  dnoregion: Schema.String,
  shortname: Schema.String,
  data: Schema.Array(Period)
})
const decodeNational = Schema.decodeUnknown(Schema.Struct({ data: Schema.Array(Period) }), {
  onExcessProperty: "error"
})
const decodeRegionalList = Schema.decodeUnknown(Schema.Struct({ data: Schema.Array(Region) }), {
  onExcessProperty: "error"
})
const decodeRegionalObject = Schema.decodeUnknown(Schema.Struct({ data: Region }), { onExcessProperty: "error" })

/** A GET with no token and, when given, a Content-Type header (a GET has none otherwise). */
const getWith = (url: string, contentType?: string) =>
  Effect.flatMap(
    HttpClient.execute(
      contentType === undefined ? HttpClientRequest.get(url) : HttpClientRequest.get(url).pipe(
        HttpClientRequest.setHeader("content-type", contentType)
      )
    ),
    (response) => Effect.map(response.json, (body) => ({ status: response.status, body }))
  )

describe("Simulator: the UK Carbon Intensity routes", () => {
  it.scoped("answers the current national half-hour with forecast, actual and index, under ukciBaseUrl, keyless", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const sim = yield* Simulator.start({ seed: 5 })
      assert.strictEqual(sim.ukciBaseUrl, `${sim.origin}/ukci`)
      const { body, status } = yield* getJson(`${sim.ukciBaseUrl}/intensity`, null)
      assert.strictEqual(status, 200)
      const answer = yield* decodeNational(body)
      assert.strictEqual(answer.data.length, 1)
      const [current] = answer.data
      assert.strictEqual(current?.from, "2024-03-06T19:30Z")
      assert.strictEqual(current?.to, "2024-03-06T20:00Z")
      assert.isNumber(current?.intensity.actual)
      assert.isUndefined(current?.generationmix)
    }).pipe(provideClient))

  it.scoped("answers a region in a list, forecast only, named as the API names it, with its generation mix", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const sim = yield* Simulator.start({ seed: 5 })
      const answer = yield* decodeRegionalList((yield* getJson(`${sim.ukciBaseUrl}/regional/regionid/13`, null)).body)
      const region = answer.data[0]!
      assert.deepStrictEqual([region.regionid, region.shortname, region.dnoregion], [13, "London", "UKPN London"])
      const period = region.data[0]!
      assert.strictEqual(period.from, "2024-03-06T19:30Z")
      assert.isFalse("actual" in period.intensity)
      assert.strictEqual(period.generationmix?.length, 9)
    }).pipe(provideClient))

  it.scoped("gives the same numbers for the same seed and time, other numbers per region and over the day", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const [a, b] = yield* Effect.all([Simulator.start({ seed: 42 }), Simulator.start({ seed: 42 })])
      const read = (base: string, path: string) => Effect.map(getText(`${base}${path}`, null), ({ text }) => text)
      const paths = ["/intensity", "/regional/regionid/1", "/regional/regionid/7"]
      const fromA = yield* Effect.forEach(paths, (path) => read(a.ukciBaseUrl, path))
      assert.deepStrictEqual(yield* Effect.forEach(paths, (path) => read(b.ukciBaseUrl, path)), fromA)

      const forecastOf = (text: string) =>
        (JSON.parse(text) as { data: Array<{ data: Array<{ intensity: { forecast: number } }> }> })
          .data[0]!.data[0]!.intensity.forecast
      // Scotland's wind and hydro stay far below South Wales' gas.
      assert.isTrue(forecastOf(fromA[1]!) < forecastOf(fromA[2]!))

      const values = new Set<unknown>()
      for (let halfHour = 0; halfHour < 48; halfHour++) {
        yield* TestClock.setTime(NOW + halfHour * 30 * 60_000)
        values.add(
          (yield* decodeNational((yield* getJson(`${a.ukciBaseUrl}/intensity`, null)).body)).data[0]!.intensity.forecast
        )
      }
      assert.isTrue(values.size > 10, `only ${values.size} distinct values in a day`)
    }).pipe(provideClient))

  it.scoped("answers forward windows: the periods whose end lies in [from, from + window], on half-hours", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const sim = yield* Simulator.start({ seed: 5 })
      const national = (from: string, window: string) =>
        Effect.flatMap(
          getJson(`${sim.ukciBaseUrl}/intensity/${from}/${window}`, null),
          ({ body }) => decodeNational(body)
        )
      const inside = yield* national("2024-03-06T19:41Z", "fw48h")
      assert.strictEqual(inside.data.length, 96)
      assert.strictEqual(inside.data[0]?.from, "2024-03-06T19:30Z")
      assert.strictEqual(inside.data[95]?.to, "2024-03-08T19:30Z")
      const boundary = yield* national("2024-03-06T20:00Z", "fw24h")
      assert.strictEqual(boundary.data.length, 49)
      assert.strictEqual(boundary.data[0]?.to, "2024-03-06T20:00Z")
      // Seconds and an offset are accepted, as by the real API.
      assert.strictEqual((yield* national("2024-03-06T19:41:00+00:00", "fw24h")).data.length, 48)
      // Periods that have begun are measured; later ones are not yet.
      assert.isNumber(inside.data[0]?.intensity.actual)
      assert.isNull(inside.data[1]?.intensity.actual)

      const regional = yield* Effect.flatMap(
        getJson(`${sim.ukciBaseUrl}/regional/intensity/2024-03-06T19:41Z/fw48h/regionid/16`, null),
        ({ body }) => decodeRegionalObject(body)
      )
      assert.strictEqual(regional.data.shortname, "Scotland")
      assert.strictEqual(regional.data.data.length, 96)

      const bad = yield* getJson(`${sim.ukciBaseUrl}/intensity/yesterday/fw48h`, null)
      assert.strictEqual(bad.status, 400)
    }).pipe(provideClient))

  it.scoped("refuses Content-Type: text/html on the regional routes only, and unknown regions, in the API's error shape", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const sim = yield* Simulator.start({})
      assert.deepStrictEqual(yield* getWith(`${sim.ukciBaseUrl}/regional/regionid/13`, "text/html"), {
        status: 400,
        body: { error: { code: "400 Bad Request", message: "Unsupported Media Type" } }
      })
      const forward = yield* getWith(
        `${sim.ukciBaseUrl}/regional/intensity/2024-03-06T19:41Z/fw48h/regionid/13`,
        "text/html"
      )
      assert.strictEqual(forward.status, 400)
      assert.strictEqual((yield* getWith(`${sim.ukciBaseUrl}/intensity`, "text/html")).status, 200)
      assert.strictEqual((yield* getWith(`${sim.ukciBaseUrl}/regional/regionid/13`, "application/json")).status, 200)
      for (const id of ["0", "18", "london"]) {
        assert.strictEqual((yield* getWith(`${sim.ukciBaseUrl}/regional/regionid/${id}`)).status, 400, id)
      }
    }).pipe(provideClient))

  it.scoped("counts every UK request by route and zone, apart from the Electricity Maps counters", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const sim = yield* Simulator.start({})
      yield* getJson(`${sim.ukciBaseUrl}/intensity`, null)
      yield* getJson(`${sim.ukciBaseUrl}/regional/regionid/13`, null)
      yield* getJson(`${sim.ukciBaseUrl}/regional/regionid/13`, null)
      yield* getJson(`${sim.ukciBaseUrl}/intensity/2024-03-06T19:41Z/fw48h`, null)
      yield* getJson(`${sim.ukciBaseUrl}/regional/intensity/2024-03-06T19:41Z/fw48h/regionid/2`, null)
      yield* getJson(`${sim.ukciBaseUrl}/generation`, null)
      const stats = yield* sim.stats()
      assert.deepStrictEqual(stats.ukciByZone, { national: 1, "13": 2 })
      assert.deepStrictEqual(stats.ukciForecastByZone, { national: 1, "2": 1 })
      assert.deepStrictEqual(stats.byEndpoint, { "ukci-latest": 3, "ukci-forecast": 2, other: 1 })
      assert.deepStrictEqual(stats.byZone, {})
      assert.strictEqual(stats.unauthorized, 0)
    }).pipe(provideClient))
})

describe("Simulator: faults on the UK routes", () => {
  const ukci = (fault: Simulator.FaultRuleInput["fault"], rest: Partial<Simulator.FaultRuleInput> = {}) => ({
    provider: "ukci" as const,
    fault,
    ...rest
  })

  it.scoped("an outage: 500 with the recorded body, for the next N requests, on every UK route", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const sim = yield* Simulator.start({ faults: [ukci({ kind: "server-error" }, { when: { next: 2 } })] })
      assert.deepStrictEqual(yield* getJson(`${sim.ukciBaseUrl}/intensity`, null), {
        status: 500,
        body: { error: { code: "500 Internal Server Error", message: "Requested resource not found." } }
      })
      assert.strictEqual((yield* getJson(`${sim.ukciBaseUrl}/intensity/2024-03-06T19:41Z/fw48h`, null)).status, 500)
      assert.strictEqual((yield* getJson(`${sim.ukciBaseUrl}/intensity`, null)).status, 200)
      assert.strictEqual((yield* sim.stats()).faultHits["server-error"], 2)
    }).pipe(provideClient))

  it.scoped("the UK API's empty 200 `{}`", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ faults: [ukci({ kind: "empty-200" })] })
      assert.deepStrictEqual(yield* getText(`${sim.ukciBaseUrl}/regional/regionid/4`, null), {
        status: 200,
        text: "{}"
      })
      assert.deepStrictEqual(
        yield* getText(`${sim.ukciBaseUrl}/regional/intensity/2024-03-06T19:41Z/fw48h/regionid/4`, null),
        { status: 200, text: "{}" }
      )
    }).pipe(provideClient))

  it.scoped("the latest complete half-hour instead of the current one, or a period hours old", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const sim = yield* Simulator.start({
        faults: [ukci({ kind: "datetime", offsetMinutes: -30 }, { zone: "national" })]
      })
      const previous = yield* decodeNational((yield* getJson(`${sim.ukciBaseUrl}/intensity`, null)).body)
      assert.deepStrictEqual([previous.data[0]?.from, previous.data[0]?.to], ["2024-03-06T19:00Z", "2024-03-06T19:30Z"])
      yield* sim.setFaults([ukci({ kind: "datetime", offsetMinutes: -300 })])
      const stale = yield* decodeRegionalList((yield* getJson(`${sim.ukciBaseUrl}/regional/regionid/9`, null)).body)
      assert.strictEqual(stale.data[0]?.data[0]?.from, "2024-03-06T14:30Z")
    }).pipe(provideClient))

  it.scoped("actual: null on the national period; null forecasts too with null-intensity", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const sim = yield* Simulator.start({ faults: [ukci({ kind: "actual-null" })] })
      const withoutActual = (yield* getJson(`${sim.ukciBaseUrl}/intensity`, null)).body as {
        data: Array<{ intensity: Record<string, unknown> }>
      }
      assert.isNull(withoutActual.data[0]?.intensity["actual"])
      assert.isNumber(withoutActual.data[0]?.intensity["forecast"])
      yield* sim.setFaults([ukci({ kind: "null-intensity" })])
      const empty = (yield* getJson(`${sim.ukciBaseUrl}/intensity`, null)).body as {
        data: Array<{ intensity: Record<string, unknown> }>
      }
      assert.deepStrictEqual([empty.data[0]?.intensity["forecast"], empty.data[0]?.intensity["actual"]], [null, null])
    }).pipe(provideClient))

  it.scoped("an undecodable body: a comma missing, as in the API's own documented examples", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const sim = yield* Simulator.start({ faults: [ukci({ kind: "invalid-json" })] })
      for (const path of ["/intensity", "/regional/regionid/3"]) {
        const { status, text } = yield* getText(`${sim.ukciBaseUrl}${path}`, null)
        assert.strictEqual(status, 200)
        assert.throws(() => JSON.parse(text), SyntaxError)
        assert.include(text, "\"intensity\":")
      }
    }).pipe(provideClient))

  it.scoped("a raw intensity token, written verbatim", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const sim = yield* Simulator.start({ faults: [ukci({ kind: "intensity", raw: "1e400" })] })
      const { text } = yield* getText(`${sim.ukciBaseUrl}/intensity`, null)
      assert.include(text, "\"forecast\":1e400,\"actual\":1e400")
    }).pipe(provideClient))

  it.scoped("a hang holds the request until the client leaves or the simulator stops", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const sim = yield* Scope.extend(Simulator.start({ faults: [ukci({ kind: "hang" })] }), scope)
      const hanging = yield* Effect.fork(Effect.either(getJson(`${sim.ukciBaseUrl}/intensity`, null)))
      yield* sim.awaitStats((s) => s.inFlight === 1)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual((yield* Fiber.join(hanging))._tag, "Left")
      assert.strictEqual((yield* sim.stats()).faultHits["hang"], 1)
    }).pipe(provideClient))

  it.scoped("a rule acts on its provider's routes only, and on its zone only", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const sim = yield* Simulator.start({
        faults: [ukci({ kind: "server-error", status: 503 }, { zone: "13" }), { fault: { kind: "server-error" } }]
      })
      assert.strictEqual((yield* getJson(`${sim.ukciBaseUrl}/regional/regionid/13`, null)).status, 503)
      assert.strictEqual((yield* getJson(`${sim.ukciBaseUrl}/regional/regionid/12`, null)).status, 200)
      assert.strictEqual((yield* getJson(`${sim.ukciBaseUrl}/intensity`, null)).status, 200)
      assert.strictEqual((yield* getJson(latestUrl(sim.baseUrl, "DE"))).status, 500)
      yield* sim.setFaults([ukci({ kind: "server-error" })])
      assert.strictEqual((yield* getJson(latestUrl(sim.baseUrl, "DE"))).status, 200)
    }).pipe(provideClient))

  it.scoped("arms UK rules over HTTP like any other", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({})
      const added = yield* send(
        "POST",
        `${sim.origin}/__simulator/faults`,
        ukci({ kind: "empty-200" }, { route: "latest" })
      )
      assert.strictEqual(added.status, 201)
      assert.strictEqual((yield* getText(`${sim.ukciBaseUrl}/intensity`, null)).text, "{}")
      const refused = yield* send("POST", `${sim.origin}/__simulator/faults`, ukci({ kind: "echo-key" }))
      assert.strictEqual(refused.status, 400)
    }).pipe(provideClient))

  it("refuses rules that could never fire, saying why", () => {
    const problem = (rule: unknown) => {
      try {
        Schema.decodeUnknownSync(FaultRule)(rule)
        return "accepted"
      } catch (error) {
        return String(error)
      }
    }
    assert.include(problem(ukci({ kind: "echo-key" })), "does not apply to the UK Carbon Intensity routes")
    assert.include(problem(ukci({ kind: "catalogue-empty" }, { route: "zones" })), "does not apply")
    assert.include(problem({ fault: { kind: "actual-null" } }), "add \"provider\": \"ukci\"")
    assert.include(problem(ukci({ kind: "server-error" }, { endpoint: "any" })), "endpoint selects Electricity Maps")
    assert.include(problem(ukci({ kind: "actual-null" }, { route: "forecast" })), "applies only to route latest")
    assert.strictEqual(problem(ukci({ kind: "hang" }, { route: "forecast", zone: "13" })), "accepted")
  })

  it.scoped("empty-200 also answers `{}` on the Electricity Maps routes", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "empty-200" }, route: "latest" }] })
      assert.deepStrictEqual(yield* getText(latestUrl(sim.baseUrl, "DE")), { status: 200, text: "{}" })
    }).pipe(provideClient))
})
