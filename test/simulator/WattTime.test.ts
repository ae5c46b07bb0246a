import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Fiber, Schema, TestClock } from "effect"
import { FaultRule } from "../../src/simulator/Fault.js"
import { SimulatorOptionsSchema } from "../../src/simulator/Options.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import { wattTimeFixture } from "../support/FakeWattTime.js"
import { provideClient } from "./support.js"

const USER = "sim-user"
const PASSWORD = "sim-password"

/** A GET with an `authorization` header (none when `authorization` is undefined): status, headers, text. */
const fetch = (url: string, authorization?: string) =>
  HttpClient.execute(
    HttpClientRequest.get(url).pipe(
      authorization === undefined ? (r) => r : HttpClientRequest.setHeader("authorization", authorization)
    )
  ).pipe(
    Effect.flatMap((response) =>
      Effect.map(response.text, (text) => ({ status: response.status, headers: response.headers, text }))
    )
  )

const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`

const logIn = (sim: Simulator.SimulatorHandle) =>
  Effect.flatMap(fetch(`${sim.wattTimeUrl}/login`, basic(USER, PASSWORD)), ({ status, text }) => {
    assert.strictEqual(status, 200)
    return Effect.map(
      Schema.decodeUnknown(Schema.parseJson(Schema.Struct({ token: Schema.String })))(text),
      (b) => `Bearer ${b.token}`
    )
  })

const forecastUrl = (sim: Simulator.SimulatorHandle, region: string, hours?: number) =>
  `${sim.wattTimeUrl}/v3/forecast?region=${region}&signal_type=co2_moer${
    hours === undefined ? "" : `&horizon_hours=${hours}`
  }`

const Signal = Schema.parseJson(Schema.Struct({
  data: Schema.Array(Schema.Struct({ point_time: Schema.String, value: Schema.Number })),
  meta: Schema.Struct({
    region: Schema.String,
    units: Schema.Literal("lbs_co2_per_mwh"),
    signal_type: Schema.Literal("co2_moer"),
    data_point_period_seconds: Schema.Literal(300),
    generated_at: Schema.String
  })
}))

const decodeError = Schema.decodeUnknown(
  Schema.parseJson(Schema.Struct({ error: Schema.String, message: Schema.String }))
)

const MyAccess = Schema.parseJson(Schema.Struct({
  signal_types: Schema.Array(Schema.Struct({ regions: Schema.Array(Schema.Struct({ region: Schema.String })) }))
}))

describe("Simulator: WattTime routes", () => {
  it.scoped("logs in with the configured username and password only, answering nginx's 403 page otherwise", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({})
      const bearer = yield* logIn(sim)
      assert.match(bearer, /^Bearer [0-9a-f]{32}$/)
      const wrong = yield* fetch(`${sim.wattTimeUrl}/login`, basic(USER, "nope"))
      assert.strictEqual(wrong.status, 403)
      assert.match(wrong.headers["content-type"] ?? "", /text\/html/)
      assert.strictEqual(wrong.text, wattTimeFixture("error.403-forbidden.nginx.html"))
      const none = yield* fetch(`${sim.wattTimeUrl}/login`)
      assert.strictEqual(none.status, 403)
      const stats = yield* sim.stats()
      assert.strictEqual(stats.byEndpoint["watttime-login"], 3)
      assert.strictEqual(stats.unauthorized, 2)
    }).pipe(provideClient))

  it.scoped("serves co2_moer every 5 minutes from the current period, deterministic per seed", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2024-03-06T19:37:12Z"))
      const sim = yield* Simulator.start({ seed: 7 })
      const bearer = yield* logIn(sim)
      const day = yield* fetch(forecastUrl(sim, "CAISO_NORTH"), bearer)
      assert.strictEqual(day.status, 200)
      const body = yield* Schema.decodeUnknown(Signal)(day.text)
      assert.strictEqual(body.data.length, 288)
      assert.strictEqual(body.data[0]?.point_time, "2024-03-06T19:35:00+00:00")
      assert.strictEqual(body.data[1]?.point_time, "2024-03-06T19:40:00+00:00")
      assert.strictEqual(body.meta.generated_at, "2024-03-06T19:35:00+00:00")
      assert.strictEqual(body.meta.region, "CAISO_NORTH")
      const now = yield* Schema.decodeUnknown(Signal)((yield* fetch(forecastUrl(sim, "CAISO_NORTH", 0), bearer)).text)
      assert.deepStrictEqual(now.data, body.data.slice(0, 1))
      const again = yield* Simulator.start({ seed: 7 })
      assert.strictEqual((yield* fetch(forecastUrl(again, "CAISO_NORTH"), yield* logIn(again))).text, day.text)
      const stats = yield* sim.stats()
      assert.deepStrictEqual(stats.wattTimeByRegion, { CAISO_NORTH: 2 })
      assert.strictEqual(stats.byEndpoint["watttime-forecast"], 2)
      assert.deepStrictEqual(stats.byVersion, { v3: 0, v4: 0 })
    }).pipe(provideClient))

  it.scoped("expires a token 30 minutes after the login, on the simulator's clock", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({})
      const bearer = yield* logIn(sim)
      yield* TestClock.adjust("29 minutes")
      assert.strictEqual((yield* fetch(forecastUrl(sim, "PSCO"), bearer)).status, 200)
      yield* TestClock.adjust("1 minute")
      const expired = yield* fetch(forecastUrl(sim, "PSCO"), bearer)
      assert.strictEqual(expired.status, 401)
      assert.match(expired.text, /log in again/)
      assert.strictEqual((yield* fetch(forecastUrl(sim, "PSCO"), yield* logIn(sim))).status, 200)
    }).pipe(provideClient))

  it.scoped("answers 403 Invalid scope outside the plan and lists the plan on /v3/my-access", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ wattTime: { plan: ["CAISO_NORTH"] } })
      const bearer = yield* logIn(sim)
      const outside = yield* fetch(forecastUrl(sim, "PSCO"), bearer)
      assert.strictEqual(outside.status, 403)
      const scope = yield* decodeError(outside.text)
      assert.strictEqual(scope.message, wattTimeFixture("error.invalid-scope.2024.txt").trim())
      assert.strictEqual(scope.error, (yield* decodeError(wattTimeFixture("error.invalid-scope.older.json"))).error)
      assert.strictEqual((yield* fetch(forecastUrl(sim, "NOT_A_REGION"), bearer)).status, 400)
      const access = yield* fetch(`${sim.wattTimeUrl}/v3/my-access`, bearer)
      const listed = yield* Schema.decodeUnknown(MyAccess)(access.text)
      assert.deepStrictEqual(listed.signal_types.flatMap((s) => s.regions.map((r) => r.region)), ["CAISO_NORTH"])
      assert.strictEqual((yield* fetch(`${sim.wattTimeUrl}/v3/my-access`)).status, 401)
    }).pipe(provideClient))

  it("refuses a plan naming a region it does not know", () => {
    const options = Schema.decodeUnknownEither(SimulatorOptionsSchema)({ wattTime: { plan: ["CAISO"] } })
    assert.isTrue(Either.isLeft(options))
  })
})

describe("Simulator: WattTime faults", () => {
  it.scoped("expires the token mid-poll (401 on a data call), refuses a region, fails and rate-limits on demand", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({})
      const bearer = yield* logIn(sim)
      const url = forecastUrl(sim, "CAISO_NORTH")
      yield* sim.addFault({ fault: { kind: "token-expired" }, route: "watttime-forecast", when: { next: 1 } })
      assert.deepStrictEqual([(yield* fetch(url, bearer)).status, (yield* fetch(url, bearer)).status], [401, 200])
      yield* sim.setFaults([{ fault: { kind: "out-of-plan" }, route: "watttime-forecast", zone: "CAISO_NORTH" }])
      const refused = yield* fetch(url, bearer)
      assert.strictEqual(refused.status, 403)
      assert.match(refused.text, /Invalid scope/)
      assert.strictEqual((yield* fetch(forecastUrl(sim, "PSCO"), bearer)).status, 200)
      yield* sim.setFaults([{ fault: { kind: "server-error" }, route: "watttime-forecast" }])
      assert.strictEqual((yield* fetch(url, bearer)).status, 500)
      yield* sim.setFaults([{ fault: { kind: "rate-limit-429", retryAfterSeconds: 3 }, route: "watttime-login" }])
      const limited = yield* fetch(`${sim.wattTimeUrl}/login`, basic(USER, PASSWORD))
      assert.deepStrictEqual([limited.status, limited.headers["retry-after"]], [429, "3"])
      yield* sim.setFaults([{ fault: { kind: "invalid-json" }, route: "watttime-my-access" }])
      const broken = yield* fetch(`${sim.wattTimeUrl}/v3/my-access`, bearer)
      assert.isTrue(Either.isLeft(Either.try(() => JSON.parse(broken.text))))
      const hits = (yield* sim.stats()).faultHits
      assert.deepStrictEqual(
        [
          hits["token-expired"],
          hits["out-of-plan"],
          hits["server-error"],
          hits["rate-limit-429"],
          hits["invalid-json"]
        ],
        [1, 1, 1, 1, 1]
      )
    }).pipe(provideClient))

  it.scoped("hangs a WattTime route when asked", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "hang" }, route: "watttime-forecast" }] })
      const bearer = yield* logIn(sim)
      const fiber = yield* Effect.fork(fetch(forecastUrl(sim, "CAISO_NORTH"), bearer))
      yield* sim.awaitStats((s) => s.inFlight === 1 && s.faultHits["hang"] === 1)
      yield* Fiber.interrupt(fiber)
    }).pipe(provideClient))

  it.scoped("keeps Electricity Maps rules off WattTime's routes unless a rule names one", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({
        faults: [{ fault: { kind: "server-error" } }, { fault: { kind: "hang" }, endpoint: "any" }]
      })
      const bearer = yield* logIn(sim)
      assert.strictEqual((yield* fetch(forecastUrl(sim, "CAISO_NORTH"), bearer)).status, 200)
    }).pipe(provideClient))

  it("refuses a WattTime rule that could never fire", () => {
    const decode = Schema.decodeUnknownEither(FaultRule)
    assert.isTrue(Either.isLeft(decode({ fault: { kind: "token-expired" }, route: "watttime-login" })))
    assert.isTrue(Either.isLeft(decode({ fault: { kind: "out-of-plan" } })))
    assert.isTrue(Either.isLeft(decode({ fault: { kind: "server-error" }, route: "watttime-my-access", zone: "PSCO" })))
    assert.isTrue(Either.isRight(decode({ fault: { kind: "server-error" }, route: "watttime-forecast", zone: "PSCO" })))
  })
})
