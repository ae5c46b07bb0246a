import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Either, Fiber, Layer, Option, Random, Redacted, TestClock } from "effect"
import { WattTimeConfig } from "../../../src/config/WattTimeConfig.js"
import { CarbonSource } from "../../../src/ports/CarbonSource.js"
import * as ElectricityMapsSource from "../../../src/providers/electricitymaps/ElectricityMapsSource.js"
import { makeRedactor } from "../../../src/providers/http/Redaction.js"
import * as UkciSource from "../../../src/providers/ukci/UkciSource.js"
import { toGramsPerKwh, toReading } from "../../../src/providers/watttime/Answers.js"
import * as WattTime from "../../../src/providers/watttime/WattTimeSource.js"
import { hang, respond } from "../../support/FakeApi.js"
import {
  type FakeWattTimeOptions,
  invalidScopeBody,
  makeFakeWattTime,
  signalBody,
  tokenRefusedBody,
  wattTimeFixture,
  WT_BASE,
  WT_PASSWORD,
  WT_USERNAME
} from "../../support/FakeWattTime.js"
import { layer as testConfigLayer, type Settings, TEST_API_KEY, testSettings } from "../../support/settings.js"

const REGION = "CAISO_NORTH"
const BASIC = btoa(`${WT_USERNAME}:${WT_PASSWORD}`)

const wattTimeConfig = (credentials: boolean, overrides: Partial<Settings> = {}) =>
  Layer.succeed(WattTimeConfig, {
    ...testSettings(overrides),
    apiUrl: WT_BASE,
    credentials: credentials
      ? Option.some({ username: Redacted.make(WT_USERNAME), password: Redacted.make(WT_PASSWORD) })
      : Option.none()
  })

/** A fresh fake and source per test; jitter made deterministic with a seeded `Random`. */
const setup = (
  options: FakeWattTimeOptions,
  overrides: Partial<Settings> = {},
  credentials = true,
  // Unthrottled unless a test is about the rate: under TestClock each permit waits for `adjust`.
  source = Layer.scoped(CarbonSource, WattTime.makeWith({ requestsPerSecond: 0 }))
) => {
  const fake = makeFakeWattTime({ values: { [REGION]: 870 }, ...options })
  const layer = source.pipe(
    Layer.provide(Layer.mergeAll(fake.layer, testConfigLayer(overrides), wattTimeConfig(credentials, overrides)))
  )
  /** Runs `f` against one source instance (its token and memory live as long as the run). */
  const run = <A, E>(f: (source: typeof CarbonSource.Service) => Effect.Effect<A, E>) =>
    Effect.flatMap(CarbonSource, f).pipe(
      Effect.provide(layer),
      Effect.withRandom(Random.make("jitter-seed"))
    )
  const dataRequests = () => fake.requests.filter((r) => r.url.pathname.startsWith("/v3/"))
  return { fake, run, dataRequests }
}

const pathsOf = (requests: ReadonlyArray<{ readonly url: URL }>) => requests.map((r) => r.url.pathname)

describe("the WattTime source: login and token", () => {
  it.effect("logs in with HTTP Basic auth, then asks /v3/forecast for the current value with the bearer token", () =>
    Effect.gen(function*() {
      const { fake, run } = setup({})
      const reading = yield* run((source) => source.latest(REGION))
      assert.deepStrictEqual(pathsOf(fake.requests), ["/login", "/v3/forecast"])
      const [login, data] = fake.requests
      assert.strictEqual(login?.headers["authorization"], `Basic ${BASIC}`)
      assert.strictEqual(data?.headers["authorization"], "Bearer tok-1")
      assert.strictEqual(data?.url.searchParams.get("region"), REGION)
      assert.strictEqual(data?.url.searchParams.get("signal_type"), "co2_moer")
      assert.strictEqual(data?.url.searchParams.get("horizon_hours"), "0")
      assert.deepStrictEqual(reading, {
        zone: REGION,
        carbonIntensity: 870 * 0.45359237,
        datetime: "1970-01-01T00:00:00Z",
        updatedAt: "1970-01-01T00:00:00Z",
        emissionFactorType: "direct",
        isEstimated: true,
        temporalGranularity: "5_minutes"
      })
    }))

  it.effect("keeps the token for 25 minutes, then logs in again before the next call", () =>
    Effect.gen(function*() {
      const { fake, run } = setup({})
      yield* run((source) =>
        Effect.gen(function*() {
          yield* source.latest(REGION)
          yield* TestClock.adjust("24 minutes")
          yield* source.latest(REGION)
          assert.strictEqual(fake.logins, 1)
          yield* TestClock.adjust("2 minutes")
          yield* source.latest(REGION)
        })
      )
      assert.strictEqual(fake.logins, 2)
      assert.deepStrictEqual(pathsOf(fake.requests).slice(-2), ["/login", "/v3/forecast"])
      assert.strictEqual(fake.requests.at(-1)?.headers["authorization"], "Bearer tok-2")
    }))

  it.effect("logs in once for many regions fetched at once", () =>
    Effect.gen(function*() {
      const regions = ["CAISO_NORTH", "PSCO", "PJM_NJ", "ISONE_WCMA"]
      const { fake, run } = setup({ values: Object.fromEntries(regions.map((r) => [r, 900])) })
      const fiber = yield* Effect.fork(
        run((source) => Effect.forEach(regions, (r) => source.latest(r), { concurrency: "unbounded" }))
      )
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(fiber)).length, 4)
      assert.strictEqual(fake.logins, 1)
    }))

  it.effect("on a 401 mid-poll (the token expired early) logs in once more and the call succeeds", () =>
    Effect.gen(function*() {
      const { fake, run } = setup({})
      const reading = yield* run((source) =>
        Effect.zipRight(
          source.latest(REGION),
          Effect.suspend(() => {
            fake.expireTokens()
            return source.latest(REGION)
          })
        )
      )
      assert.strictEqual(reading.carbonIntensity, 870 * 0.45359237)
      assert.deepStrictEqual(pathsOf(fake.requests), [
        "/login",
        "/v3/forecast",
        "/v3/forecast",
        "/login",
        "/v3/forecast"
      ])
      assert.strictEqual(fake.requests.at(-1)?.headers["authorization"], "Bearer tok-2")
    }))

  it.effect("a 401 on the fresh token too is a typed failure, not a loop", () =>
    Effect.gen(function*() {
      const refusals = Array.from({ length: 5 }, () => respond(401, tokenRefusedBody))
      const { fake, run } = setup({ scripts: { [REGION]: refusals } })
      const error = yield* Effect.flip(run((source) => source.latest(REGION)))
      assert.strictEqual(error.reason, "Unauthorized")
      assert.strictEqual(error.zone, REGION)
      assert.match(error.message, /refused a token it had just issued/)
      assert.strictEqual(fake.logins, 2)
      assert.strictEqual(fake.dataCallsFor(REGION), 2)
    }))

  it.effect("treats nginx's HTML 403 on a data call as a refused token, as public WattTime clients do", () =>
    Effect.gen(function*() {
      const html = respond(403, wattTimeFixture("error.403-forbidden.nginx.html"), { "content-type": "text/html" })
      const { fake, run } = setup({ scripts: { [REGION]: [html] } })
      const reading = yield* run((source) => source.latest(REGION))
      assert.strictEqual(reading.zone, REGION)
      assert.strictEqual(fake.logins, 2)
    }))

  for (
    const [what, answer] of [
      ["nginx's HTML 403", respond(403, wattTimeFixture("error.403-forbidden.nginx.html"))],
      ["a 401", respond(401, JSON.stringify({ error: `bad login for ${WT_USERNAME}:${WT_PASSWORD}` }))]
    ] as const
  ) {
    it.effect(`says bad credentials (${what} on /login) name WATTTIME_USERNAME, never the password`, () =>
      Effect.gen(function*() {
        const { fake, run } = setup({ scripts: { login: [answer] } })
        const error = yield* Effect.flip(run((source) => source.latest(REGION)))
        assert.strictEqual(error.reason, "Unauthorized")
        assert.match(error.message, /^WattTime region CAISO_NORTH \(login\): Unauthorized/)
        assert.match(error.message, /WattTime refused the login: check WATTTIME_USERNAME and WATTTIME_PASSWORD/)
        for (const secret of [WT_PASSWORD, BASIC]) {
          assert.notInclude(error.message, secret)
          assert.notInclude(error.providerMessage ?? "", secret)
        }
        assert.strictEqual(fake.dataCallsFor(REGION), 0)
      }))
  }

  it.effect("tries a refused login once for all the regions of a poll, not once per region", () =>
    Effect.gen(function*() {
      const refused = respond(403, wattTimeFixture("error.403-forbidden.nginx.html"))
      const { fake, run } = setup({ scripts: { login: [refused, refused, refused] }, values: { A: 1, B: 2, C: 3 } })
      const results = yield* run((source) =>
        Effect.forEach(["A", "B", "C"], (r) => Effect.flip(source.latest(r)), { concurrency: "unbounded" })
      )
      assert.deepStrictEqual(results.map((e) => e.zone), ["A", "B", "C"])
      assert.strictEqual(fake.logins, 1)
    }))

  it.effect("without a username and password, says what to set and asks nothing", () =>
    Effect.gen(function*() {
      const { fake, run } = setup({}, {}, false)
      const catalogue = yield* Effect.flip(run((source) => source.catalogue))
      assert.match(catalogue.message, /WattTime's region list needs WATTTIME_USERNAME\/WATTTIME_PASSWORD/)
      const latest = yield* Effect.flip(run((source) => source.latest(REGION)))
      assert.match(latest.message, /^WattTime region CAISO_NORTH \(login\): Unauthorized — set WATTTIME_USERNAME/)
      assert.strictEqual(fake.requests.length, 0)
    }))
})

describe("the WattTime source: answers", () => {
  it("converts lbs/MWh to gCO2eq/kWh (× 0.45359237)", () => {
    assert.strictEqual(toGramsPerKwh(1000), 453.59237)
    assert.strictEqual(toGramsPerKwh(870), 870 * 0.45359237)
    assert.strictEqual(toGramsPerKwh(0), 0)
  })

  it("leaves updatedAt out when the answer does not say when it was generated, and takes it when it does", () => {
    const meta = { region: REGION, signal_type: "co2_moer", units: "lbs_co2_per_mwh", data_point_period_seconds: 300 }
    const data = [{ point_time: "2024-06-18T10:05:00+00:00", value: 870 }]
    const unsaid = Either.getOrThrow(toReading({ data, meta }, makeRedactor()))
    assert.notProperty(unsaid, "updatedAt")
    assert.strictEqual(unsaid.datetime, "2024-06-18T10:05:00Z")
    const said = Either.getOrThrow(
      toReading({ data, meta: { ...meta, generated_at: "2024-06-18T10:03:12+00:00" } }, makeRedactor())
    )
    assert.strictEqual(said.updatedAt, "2024-06-18T10:03:12Z")
  })

  it.effect("gives the recorded forecast as 288 five-minute points in g/kWh, with WattTime's times in UTC", () =>
    Effect.gen(function*() {
      const { fake, run } = setup({
        scripts: { [REGION]: [respond(200, wattTimeFixture("forecast.docs-example.json"))] }
      })
      const forecast = yield* run((source) => source.forecast(REGION, 24))
      assert.strictEqual(fake.requests.at(-1)?.url.searchParams.get("horizon_hours"), "24")
      assert.strictEqual(forecast.zone, REGION)
      assert.strictEqual(forecast.updatedAt, "2022-07-15T00:00:00Z")
      assert.strictEqual(forecast.temporalGranularity, "5_minutes")
      assert.strictEqual(forecast.points.length, 288)
      assert.deepStrictEqual(forecast.points[1], {
        datetime: "2022-07-15T00:05:00Z",
        carbonIntensity: 870 * 0.45359237
      })
    }))

  it.effect("asks at most 72 hours ahead, WattTime's limit", () =>
    Effect.gen(function*() {
      const { fake, run } = setup({})
      yield* run((source) => source.forecast(REGION, 96))
      assert.strictEqual(fake.requests.at(-1)?.url.searchParams.get("horizon_hours"), "72")
    }))

  it.effect("refuses an answer that is not co2_moer in lbs/MWh (signal-index's percentile), as a BadResponse", () =>
    Effect.gen(function*() {
      const percentile = respond(200, wattTimeFixture("signal-index.PSCO.2024-06-18.json"))
      const { fake, run } = setup({ scripts: { PSCO: [percentile] }, values: { PSCO: 1 } })
      const error = yield* Effect.flip(run((source) => source.latest("PSCO")))
      assert.strictEqual(error.reason, "BadResponse")
      assert.match(error.message, /meta\.units is "percentile", not lbs_co2_per_mwh/)
      assert.strictEqual(fake.dataCallsFor("PSCO"), 1)
    }))

  it.effect("reports an undecodable body as a BadResponse, saying what came, without retrying", () =>
    Effect.gen(function*() {
      const { fake, run } = setup({ scripts: { [REGION]: [respond(200, "<html>maintenance</html>")] } })
      const error = yield* Effect.flip(run((source) => source.latest(REGION)))
      assert.strictEqual(error.reason, "BadResponse")
      assert.match(error.message, /unexpected answer: .*the API said: <html>maintenance<\/html>/)
      assert.strictEqual(fake.dataCallsFor(REGION), 1)
    }))

  it.effect("lists the regions of /v3/my-access with what the plan covers", () =>
    Effect.gen(function*() {
      const myAccessBody = JSON.stringify({
        signal_types: [
          {
            signal_type: "co2_moer",
            regions: [
              {
                region: "CAISO_NORTH",
                region_full_name: "California ISO Northern",
                endpoints: [{ endpoint: "v3/forecast" }]
              },
              { region: "PJM_NJ", region_full_name: "PJM New Jersey", endpoints: [{ endpoint: "v3/historical" }] }
            ]
          },
          { signal_type: "health_damage", regions: [{ region: "PSCO", endpoints: [{ endpoint: "v3/forecast" }] }] }
        ]
      })
      const { fake, run } = setup({ myAccessBody })
      const catalogue = yield* run((source) => source.catalogue)
      assert.deepStrictEqual(catalogue, [
        { zone: "CAISO_NORTH", name: "California ISO Northern", access: { latest: true, forecast: true } },
        { zone: "PJM_NJ", name: "PJM New Jersey", access: { latest: false, forecast: false } }
      ])
      assert.strictEqual(fake.requests.at(-1)?.headers["authorization"], "Bearer tok-1")
    }))

  it.effect("says the basis of its values: marginal, direct", () =>
    Effect.gen(function*() {
      const { run } = setup({})
      const source = yield* run(Effect.succeed)
      assert.deepStrictEqual(source.basis, { signal: "marginal", emissionFactorType: "direct" })
      assert.strictEqual(source.provider, "watttime")
    }))
})

describe("the WattTime source: plan", () => {
  it.effect("reports a region outside the plan once with WattTime's words, then briefly without asking again", () =>
    Effect.gen(function*() {
      const { fake, run } = setup({ values: {} })
      const [first, second, third] = yield* run((source) =>
        Effect.gen(function*() {
          const first = yield* Effect.flip(source.forecast("PJM_NJ", 24))
          yield* TestClock.adjust("5 minutes")
          const second = yield* Effect.flip(source.latest("PJM_NJ"))
          yield* TestClock.adjust("61 minutes")
          const third = yield* Effect.flip(source.forecast("PJM_NJ", 24))
          return [first, second, third] as const
        })
      )
      assert.strictEqual(first.reason, "Forbidden")
      assert.match(first.message, /Invalid scope\. You do not have sufficient access/)
      assert.match(first.providerMessage ?? "", /Invalid scope/)
      for (const later of [second, third]) {
        assert.strictEqual(later.reason, "Forbidden")
        assert.notMatch(later.message, /Invalid scope/)
        assert.match(later.message, /outside the WattTime account's plan, as WattTime said before/)
        assert.match(later.message, /refused at 1970-01-01T00:00:00Z/)
      }
      // The second poll asked nothing; the check an hour later asked once.
      assert.strictEqual(fake.dataCallsFor("PJM_NJ"), 2)
    }))

  it.effect("forgets a refusal once the region answers, so a later refusal is reported in full", () =>
    Effect.gen(function*() {
      const scope = respond(403, invalidScopeBody)
      const healthy = respond(200, signalBody(REGION, Duration.toMillis("61 minutes"), 1, 870))
      const { run } = setup({ scripts: { [REGION]: [scope, healthy, scope] } })
      const [first, later] = yield* run((source) =>
        Effect.gen(function*() {
          const first = yield* Effect.flip(source.latest(REGION))
          yield* TestClock.adjust("61 minutes")
          yield* source.latest(REGION)
          return [first, yield* Effect.flip(source.latest(REGION))] as const
        })
      )
      for (const refusal of [first, later]) assert.match(refusal.message, /Invalid scope\. You do not have/)
    }))
})

describe("the WattTime source: transport", () => {
  it.effect("waits as long as a 429's Retry-After asks before retrying", () =>
    Effect.gen(function*() {
      const { fake, run } = setup({ scripts: { [REGION]: [respond(429, "{}", { "retry-after": "7" })] } })
      const fiber = yield* Effect.fork(run((source) => source.latest(REGION)))
      yield* TestClock.adjust("6999 millis")
      assert.strictEqual(fake.dataCallsFor(REGION), 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Fiber.join(fiber)).carbonIntensity, 870 * 0.45359237)
      assert.strictEqual(fake.dataCallsFor(REGION), 2)
    }))

  it.effect("gives up on an answer that never comes: Timeout, after its retries", () =>
    Effect.gen(function*() {
      const { fake, run } = setup({ scripts: { [REGION]: [hang, hang] } }, { maxRetries: 1 })
      const fiber = yield* Effect.fork(Effect.flip(run((source) => source.latest(REGION))))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      assert.deepStrictEqual([error.reason, fake.dataCallsFor(REGION)], ["Timeout", 2])
      assert.match(error.message, /^WattTime region CAISO_NORTH: Timeout: no complete answer within 10s/)
    }))

  it.effect("retries a 500 and succeeds", () =>
    Effect.gen(function*() {
      const { fake, run } = setup({ scripts: { [REGION]: [respond(500, "{\"error\":\"boom\"}")] } })
      const fiber = yield* Effect.fork(run((source) => source.latest(REGION)))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* Fiber.join(fiber)).zone, REGION)
      assert.strictEqual(fake.dataCallsFor(REGION), 2)
    }))

  it.effect("keeps to 10 requests per second, logins included", () =>
    Effect.gen(function*() {
      const regions = Array.from({ length: 30 }, (_, i) => `R${i}`)
      const values = Object.fromEntries(regions.map((r) => [r, 500]))
      const { fake, run } = setup({ values }, {}, true, WattTime.layer)
      const fiber = yield* Effect.fork(
        run((source) => Effect.forEach(regions, (r) => source.latest(r), { concurrency: "unbounded" }))
      )
      yield* TestClock.adjust("999 millis")
      assert.isAtMost(fake.requests.length, 10)
      yield* TestClock.adjust("3 seconds")
      yield* Fiber.join(fiber)
      assert.strictEqual(fake.requests.length, 31)
    }))

  it.effect("never lets the password or the token into a message, however WattTime echoes them", () =>
    Effect.gen(function*() {
      const escaped = [...WT_PASSWORD].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")
      // The second copy straddles the 300-character cut: redacting after cutting would leave its start.
      const echo = `{"error":"tok-1 ${escaped} ${"x".repeat(252)} ${WT_PASSWORD}"}`
      const { run } = setup({ scripts: { [REGION]: [respond(400, echo)] } })
      const error = yield* Effect.flip(run((source) => source.latest(REGION)))
      assert.strictEqual(error.reason, "BadRequest")
      for (const text of [error.message, error.providerMessage ?? ""]) {
        assert.notInclude(text, "tok-1")
        assert.notInclude(text, WT_PASSWORD)
        assert.notInclude(text, WT_PASSWORD.slice(0, 10))
      }
      assert.include(error.providerMessage ?? "", "<redacted>")
    }))
})

describe("the WattTime source: credentials go to WattTime only", () => {
  it.effect("sends them only to WATTTIME_API_URL's host and does not follow a redirect elsewhere", () =>
    Effect.gen(function*() {
      const away = respond(302, "", { location: "https://elsewhere.test/v3/forecast?region=CAISO_NORTH" })
      const { fake, run } = setup({ scripts: { [REGION]: [away] } })
      const error = yield* Effect.flip(run((source) => source.latest(REGION)))
      assert.strictEqual(error.reason, "BadResponse")
      assert.strictEqual(error.status, 302)
      assert.deepStrictEqual(fake.requests.map((r) => r.url.origin), [WT_BASE, WT_BASE])
    }))

  it.effect("over one HTTP client, each provider gets only its own credentials: WattTime no key, Electricity Maps no login, the UK none", () =>
    Effect.gen(function*() {
      const fake = makeFakeWattTime({ values: { [REGION]: 870 } })
      const platform = Layer.mergeAll(fake.layer, testConfigLayer({ maxRetries: 0 }), wattTimeConfig(true))
      yield* Effect.flatMap(CarbonSource, (source) => source.latest(REGION)).pipe(
        Effect.provide(
          Layer.scoped(CarbonSource, WattTime.makeWith({ requestsPerSecond: 0 })).pipe(Layer.provide(platform))
        )
      )
      yield* Effect.either(Effect.flatMap(CarbonSource, (source) => source.latest("DE"))).pipe(
        Effect.provide(ElectricityMapsSource.layer.pipe(Layer.provide(platform)))
      )
      yield* Effect.either(Effect.flatMap(CarbonSource, (source) => source.latest("13"))).pipe(
        Effect.provide(UkciSource.layer.pipe(Layer.provide(platform)))
      )
      const to = (origin: string) => fake.requests.filter((r) => r.url.origin === origin)
      const toWattTime = to(WT_BASE)
      const toElectricityMaps = to(new URL(testSettings().apiUrl).origin)
      const toUk = to("https://ukci.test")
      assert.strictEqual(toWattTime.length, 2)
      assert.strictEqual(toElectricityMaps.length, 1)
      assert.strictEqual(toUk.length, 1)
      assert.strictEqual(fake.requests.length, 4)
      for (const request of toWattTime) assert.isUndefined(request.headers["auth-token"])
      assert.strictEqual(toElectricityMaps[0]?.headers["auth-token"], TEST_API_KEY)
      for (const request of [...toElectricityMaps, ...toUk]) {
        assert.isUndefined(request.headers["authorization"])
        assert.notInclude(JSON.stringify(request.headers), WT_PASSWORD)
        assert.notInclude(JSON.stringify(request.headers), BASIC)
      }
      for (const request of toUk) assert.isUndefined(request.headers["auth-token"])
    }))
})

describe("the WattTime source: planned calls", () => {
  it.effect("a poll of n regions costs n calls and a login every 25 minutes", () =>
    Effect.gen(function*() {
      const { dataRequests, fake, run } = setup({ values: { A: 1, B: 2 } })
      yield* run((source) =>
        Effect.forEach(
          Array.from({ length: 12 }),
          () =>
            Effect.zipRight(Effect.forEach(["A", "B"], (r) => source.latest(r)), TestClock.adjust(Duration.minutes(5)))
        )
      )
      // 12 polls over an hour: 24 data calls, logins at 0, 25 and 50 minutes.
      assert.strictEqual(dataRequests().length, 24)
      assert.strictEqual(fake.logins, 3)
    }))
})
