/** The UK Carbon Intensity API adapter over a fake HttpClient, on TestClock. */
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, Fiber, Layer, Random, TestClock } from "effect"
import { UkciConfig, ukciConfig, type UkciSettings } from "../../../src/config/UkciConfig.js"
import { parseZoneRef } from "../../../src/domain/Provider.js"
import { bestWindow } from "../../../src/forecast/BestWindow.js"
import { checkForecast } from "../../../src/forecast/Forecasts.js"
import { checkReading } from "../../../src/poll/ReadingRules.js"
import { checkChains } from "../../../src/poll/ZoneCheck.js"
import { CarbonSource } from "../../../src/ports/CarbonSource.js"
import { normalizeInstant } from "../../../src/providers/ukci/Periods.js"
import { UKCI_CATALOGUE } from "../../../src/providers/ukci/Regions.js"
import * as UkciSource from "../../../src/providers/ukci/UkciSource.js"
import { type Answer, hang, play, type RecordedRequest, respond } from "../../support/FakeApi.js"
import { ukciFixtureText } from "../../support/fixtures.js"

const MINUTE = 60_000
const HALF_HOUR = 30 * MINUTE
/** The recorded national and postcode bodies are for the half-hour from this instant. */
const RECORDED_PERIOD = Date.parse("2021-07-23T07:00:00Z")

const SETTINGS: UkciSettings = {
  apiUrl: "https://api.test",
  requestTimeout: Duration.seconds(10),
  maxRetries: 3,
  retryBaseDelay: Duration.millis(500),
  retryMaxDelay: Duration.seconds(30),
  maxResponseBytes: 64 * 1024
}

/** `YYYY-MM-DDThh:mmZ`, as the API writes period bounds. */
const apiTime = (millis: number): string => `${new Date(millis).toISOString().slice(0, 16)}Z`

const period = (from: number, forecast: number | null, actual?: number | null) => ({
  from: apiTime(from),
  to: apiTime(from + HALF_HOUR),
  intensity: { forecast, ...(actual === undefined ? {} : { actual }), index: "moderate" }
})

const nationalBody = (...periods: ReadonlyArray<ReturnType<typeof period>>) => JSON.stringify({ data: periods })

/** A regional body: `/regional/regionid/{id}` wraps the region in a list, the forward routes do not. */
const regionalBody = (region: number, periods: ReadonlyArray<ReturnType<typeof period>>, wrap: "list" | "object") => {
  const content = { regionid: region, dnoregion: "UKPN London", shortname: "London", data: periods }
  return JSON.stringify({ data: wrap === "list" ? [content] : content })
}

/** A fresh fake per test: answers played in order, then `fallback`; every request recorded. */
const setup = (
  script: ReadonlyArray<Answer>,
  options: { fallback?: Answer; settings?: Partial<UkciSettings> } = {}
) => {
  const queue = [...script]
  const requests: Array<RecordedRequest> = []
  const client = HttpClient.make((request, url) => {
    requests.push({ url, headers: { ...request.headers } })
    return play(request, queue.shift() ?? options.fallback ?? respond(599, "script exhausted"))
  })
  const layer = UkciSource.layer.pipe(
    Layer.provide(Layer.mergeAll(
      Layer.succeed(HttpClient.HttpClient, client),
      Layer.succeed(UkciConfig, { ...SETTINGS, ...options.settings })
    ))
  )
  const use = <A, E>(f: (source: typeof CarbonSource.Service) => Effect.Effect<A, E>) =>
    Effect.flatMap(CarbonSource, f).pipe(Effect.provide(layer), Effect.withRandom(Random.make("ukci")))
  return {
    requests,
    paths: () => requests.map((request) => request.url.pathname),
    latest: (zone: string) => use((source) => source.latest(zone)),
    forecast: (zone: string, hours = 24) => use((source) => source.forecast(zone, hours))
  }
}

describe("the UK Carbon Intensity source: latest", () => {
  const recorded: ReadonlyArray<{
    readonly what: string
    readonly fixture: string
    readonly zone: string
    readonly path: string
    readonly value: number
    readonly estimated: boolean
  }> = [
    {
      what: "the recorded national body: actual when measured",
      fixture: "intensity.2021-07-23.json",
      zone: "national",
      path: "/intensity",
      value: 248,
      estimated: false
    },
    {
      // The recorded postcode answer has the regionid route's shape, and London's id one too low:
      // the route asked, not the body's id, names the zone.
      what: "a region from /regional/regionid/{id}: a forecast, so estimated",
      fixture: "regional-postcode.EC1V.2021-07-23.json",
      zone: "13",
      path: "/regional/regionid/13",
      value: 107,
      estimated: true
    }
  ]
  for (const { estimated, fixture, path, value, what, zone } of recorded) {
    it.effect(`reads ${what}; the period start as RFC 3339 with seconds, no updatedAt`, () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(RECORDED_PERIOD + 10 * MINUTE)
        const { latest, paths } = setup([respond(200, ukciFixtureText(fixture))])
        assert.deepStrictEqual(yield* latest(zone), {
          zone,
          carbonIntensity: value,
          datetime: "2021-07-23T07:00:00Z",
          emissionFactorType: "direct",
          isEstimated: estimated
        })
        assert.deepStrictEqual(paths(), [path])
      }))
  }

  it.effect("sends a plain GET: accept, identity encoding and user-agent; no Content-Type, no credentials, no tracing", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(RECORDED_PERIOD)
      const body = ukciFixtureText("regional-postcode.EC1V.2021-07-23.json")
      const { latest, requests } = setup([
        respond(200, ukciFixtureText("intensity.2021-07-23.json")),
        respond(200, body)
      ])
      yield* Effect.withSpan(Effect.zip(latest("national"), latest("7")), "poll")
      for (const { headers, url } of requests) {
        assert.strictEqual(url.origin, "https://api.test")
        assert.deepStrictEqual(Object.keys(headers).sort(), ["accept", "accept-encoding", "user-agent"])
        assert.strictEqual(headers["accept"], "application/json")
        assert.match(headers["user-agent"] ?? "", /^carbon-poller\/\d+\.\d+\.\d+$/)
      }
    }))

  it.effect("a current half-hour without `actual` is the forecast, marked estimated", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(RECORDED_PERIOD + 5 * MINUTE)
      const { latest } = setup([respond(200, nationalBody(period(RECORDED_PERIOD, 251, null)))])
      const reading = yield* latest("national")
      assert.strictEqual(reading.carbonIntensity, 251)
      assert.isTrue(reading.isEstimated)
    }))

  it.effect("an `actual` revised between polls is reported as revised, each time as sent", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(RECORDED_PERIOD + 45 * MINUTE)
      const { latest } = setup([
        respond(200, nationalBody(period(RECORDED_PERIOD, 251, 248))),
        respond(200, nationalBody(period(RECORDED_PERIOD, 251, 254)))
      ])
      const first = yield* latest("national")
      const revised = yield* latest("national")
      assert.deepStrictEqual([first.carbonIntensity, revised.carbonIntensity], [248, 254])
      assert.strictEqual(revised.datetime, first.datetime)
      assert.isFalse(revised.isEstimated)
    }))

  it.effect("picks the period holding now when an answer lists several", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(RECORDED_PERIOD + HALF_HOUR + 5 * MINUTE)
      const { latest } = setup([
        respond(
          200,
          nationalBody(
            period(RECORDED_PERIOD, 200, 199),
            period(RECORDED_PERIOD + HALF_HOUR, 210, null),
            period(RECORDED_PERIOD + 2 * HALF_HOUR, 220, null)
          )
        )
      ])
      const reading = yield* latest("national")
      assert.strictEqual(reading.datetime, "2021-07-23T07:30:00Z")
      assert.strictEqual(reading.carbonIntensity, 210)
    }))

  it.effect("the latest complete half-hour instead of the current one is reported as the period it is, and passes the age rule", () =>
    Effect.gen(function*() {
      const now = RECORDED_PERIOD + HALF_HOUR + 10 * MINUTE
      yield* TestClock.setTime(now)
      const { latest } = setup([respond(200, ukciFixtureText("intensity.2021-07-23.json"))])
      const reading = yield* latest("national")
      assert.strictEqual(reading.datetime, "2021-07-23T07:00:00Z")
      const expected = { zone: "national", emissionFactorType: "direct", maxReadingAgeMinutes: 180 }
      assert.isUndefined(checkReading(reading, expected, now))
    }))

  it.effect("a period hours old keeps its own start, so the core refuses it as stale", () =>
    Effect.gen(function*() {
      const now = RECORDED_PERIOD + 5 * 60 * MINUTE
      yield* TestClock.setTime(now)
      const { latest } = setup([respond(200, ukciFixtureText("intensity.2021-07-23.json"))])
      const reading = yield* latest("national")
      assert.strictEqual(reading.datetime, "2021-07-23T07:00:00Z")
      const expected = { zone: "national", emissionFactorType: "direct", maxReadingAgeMinutes: 180 }
      assert.strictEqual(checkReading(reading, expected, now)?.reason, "StaleReading")
    }))

  const empty: ReadonlyArray<readonly [string, string, string]> = [
    ["national", "{}", "empty answer"],
    ["national", "{\"data\":[]}", "no half-hour period"],
    ["13", ukciFixtureText("regional.empty-200.json"), "empty answer"],
    ["13", regionalBody(13, [], "list"), "no half-hour period"]
  ]
  for (const [zone, body, said] of empty) {
    it.effect(`an empty 200 (${body.trim().slice(0, 30)}) for ${zone} is NoData, not retried`, () =>
      Effect.gen(function*() {
        const { latest, requests } = setup([respond(200, body)])
        const error = yield* Effect.flip(latest(zone))
        assert.strictEqual(error.reason, "NoData")
        assert.strictEqual(error.zone, zone)
        assert.include(error.providerMessage ?? "", said)
        assert.match(error.message, /UK Carbon Intensity .*NoData .* — the API answered without a value/)
        assert.strictEqual(requests.length, 1)
      }))
  }

  it.effect("a period with neither actual nor forecast is NoData", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(RECORDED_PERIOD)
      const { latest } = setup([respond(200, nationalBody(period(RECORDED_PERIOD, null, null)))])
      const error = yield* Effect.flip(latest("national"))
      assert.strictEqual(error.reason, "NoData")
      assert.include(error.providerMessage ?? "", "neither an actual nor a forecast")
    }))

  it.effect("retries an outage's 500 and succeeds; the recorded error body is read", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(RECORDED_PERIOD)
      const outage = respond(500, ukciFixtureText("error.500.requested-resource-not-found.json"))
      const { latest, requests } = setup([outage, outage, respond(200, ukciFixtureText("intensity.2021-07-23.json"))])
      const fiber = yield* Effect.fork(latest("national"))
      yield* TestClock.adjust("1 minute")
      const reading = yield* Fiber.join(fiber)
      assert.strictEqual(reading.carbonIntensity, 248)
      assert.strictEqual(requests.length, 3)
    }))

  it.effect("waits as long as a 429's Retry-After asks before retrying", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(RECORDED_PERIOD)
      const { latest, requests } = setup([
        respond(429, "{}", { "retry-after": "7" }),
        respond(200, ukciFixtureText("intensity.2021-07-23.json"))
      ])
      const fiber = yield* Effect.fork(latest("national"))
      yield* TestClock.adjust("6999 millis")
      assert.strictEqual(requests.length, 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Fiber.join(fiber)).carbonIntensity, 248)
      assert.strictEqual(requests.length, 2)
    }))

  it.effect("gives up after MAX_RETRIES retries of an outage, with the API's own words", () =>
    Effect.gen(function*() {
      const outage = respond(500, ukciFixtureText("error.500.requested-resource-not-found.json"))
      const { latest, requests } = setup([], { fallback: outage })
      const fiber = yield* Effect.fork(Effect.flip(latest("13")))
      yield* TestClock.adjust("5 minutes")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.reason, "ServerError")
      assert.strictEqual(error.status, 500)
      assert.strictEqual(error.providerMessage, "500 Internal Server Error: Requested resource not found.")
      assert.strictEqual(requests.length, 4)
    }))

  it.effect("a request that never answers times out, every attempt: Timeout", () =>
    Effect.gen(function*() {
      const { latest, requests } = setup([], { fallback: hang })
      const fiber = yield* Effect.fork(Effect.flip(latest("national")))
      yield* TestClock.adjust("10 minutes")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.reason, "Timeout")
      assert.match(error.message, /no complete answer within 10s/)
      assert.strictEqual(requests.length, 4)
    }))

  const permanent: ReadonlyArray<readonly [string, string, Answer, string, RegExp]> = [
    [
      "an undecodable body (the docs' regional example lacks a comma)",
      "3",
      respond(200, ukciFixtureText("regional-regionid.docs-example.invalid-json.txt")),
      "BadResponse",
      /unexpected answer: .*the API said:/
    ],
    [
      "a 200 of the wrong shape",
      "national",
      respond(200, JSON.stringify({ data: [{ from: "x" }] })),
      "BadResponse",
      /unexpected answer: data\.0\.to/
    ],
    [
      "the regional routes' 400 for a text/html Content-Type",
      "13",
      respond(400, ukciFixtureText("error.400.unsupported-media-type.as-pasted.txt")),
      "BadRequest",
      /Unsupported Media Type/
    ]
  ]
  for (const [what, zone, answer, reason, said] of permanent) {
    it.effect(`${what} is ${reason} with what the API sent, not retried`, () =>
      Effect.gen(function*() {
        const { latest, requests } = setup([answer])
        const error = yield* Effect.flip(latest(zone))
        assert.strictEqual(error.reason, reason)
        assert.match(error.providerMessage ?? "", said)
        assert.strictEqual(requests.length, 1)
      }))
  }

  it.effect("a zone id outside national and 1–17 is ZoneNotFound, and nothing is asked", () =>
    Effect.gen(function*() {
      const { latest, requests } = setup([])
      for (const zone of ["london", "0", "18", "013", "1/../intensity", "National"]) {
        const error = yield* Effect.flip(latest(zone))
        assert.strictEqual(error.reason, "ZoneNotFound", zone)
        assert.strictEqual(error.zone, zone)
      }
      assert.strictEqual(requests.length, 0)
    }))
})

describe("the UK Carbon Intensity source: forecast", () => {
  /** 96 half-hours from `start` (48 hours), values 100, 101, ... */
  const forward = (start: number) =>
    Array.from({ length: 96 }, (_, i) => period(start + i * HALF_HOUR, 100 + i, i === 0 ? 99 : undefined))

  it.effect("asks /intensity/{now + 1 minute}/fw48h and keeps the half-hours starting within the horizon", () =>
    Effect.gen(function*() {
      const now = RECORDED_PERIOD + 10 * MINUTE + 30_000
      yield* TestClock.setTime(now)
      const { forecast, paths } = setup([respond(200, nationalBody(...forward(RECORDED_PERIOD)))])
      const answer = yield* forecast("national", 24)
      assert.deepStrictEqual(paths(), ["/intensity/2021-07-23T07:11Z/fw48h"])
      assert.strictEqual(answer.zone, "national")
      assert.strictEqual(answer.temporalGranularity, "30_minutes")
      assert.isUndefined(answer.updatedAt)
      // 07:00 today up to 07:00 tomorrow: every start before now + 24 h.
      assert.strictEqual(answer.points.length, 49)
      assert.deepStrictEqual(answer.points[0], { datetime: "2021-07-23T07:00:00Z", carbonIntensity: 100 })
      assert.deepStrictEqual(answer.points[48], { datetime: "2021-07-24T07:00:00Z", carbonIntensity: 148 })
    }))

  it.effect("asks the regional forward route, whose data is one region (an object), a list accepted too", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(RECORDED_PERIOD + 29 * MINUTE)
      const periods = forward(RECORDED_PERIOD)
      const { forecast, paths } = setup([
        respond(200, regionalBody(13, periods, "object")),
        respond(200, regionalBody(13, periods, "list"))
      ])
      const fromObject = yield* forecast("13", 48)
      const fromList = yield* forecast("13", 48)
      assert.deepStrictEqual(paths(), [
        "/regional/intensity/2021-07-23T07:30Z/fw48h/regionid/13",
        "/regional/intensity/2021-07-23T07:30Z/fw48h/regionid/13"
      ])
      assert.strictEqual(fromObject.points.length, 96)
      assert.deepStrictEqual(fromList, fromObject)
    }))

  it.effect("on a half-hour boundary, `from` is the next minute, so the first period is the current one", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(RECORDED_PERIOD + HALF_HOUR)
      const { forecast, paths } = setup([respond(200, nationalBody(...forward(RECORDED_PERIOD + HALF_HOUR)))])
      yield* forecast("national")
      assert.deepStrictEqual(paths(), ["/intensity/2021-07-23T07:31Z/fw48h"])
    }))

  it.effect("half-hour points pass the core's forecast checks and give windows of whole half-hours", () =>
    Effect.gen(function*() {
      const now = RECORDED_PERIOD + 10 * MINUTE
      yield* TestClock.setTime(now)
      const values = [300, 200, 100, 250, 400]
      const periods = values.map((value, i) => period(RECORDED_PERIOD + i * HALF_HOUR, value))
      const { forecast } = setup([respond(200, nationalBody(...periods))])
      const series = checkForecast("national", yield* forecast("national"))
      assert.isTrue(Either.isRight(series))
      if (Either.isLeft(series)) return
      assert.strictEqual(series.right.stepMillis, HALF_HOUR)
      assert.strictEqual(series.right.points.length, 5)
      // 08:00-08:30 is the cleanest half-hour; the best hour is 07:30-08:30 ((200 + 100) / 2).
      assert.deepStrictEqual(bestWindow(series.right, 30, now), {
        minutes: 30,
        start: RECORDED_PERIOD + 2 * HALF_HOUR,
        end: RECORDED_PERIOD + 3 * HALF_HOUR,
        carbonIntensity: 100
      })
      assert.strictEqual(bestWindow(series.right, 60, now)?.carbonIntensity, 150)
    }))

  it.effect("an empty 200 past the horizon is NoData", () =>
    Effect.gen(function*() {
      const { forecast } = setup([respond(200, ukciFixtureText("regional.empty-200.json"))])
      assert.strictEqual((yield* Effect.flip(forecast("16"))).reason, "NoData")
    }))
})

/** The source over a client that fails the test if anything is asked. */
const withoutNetwork = UkciSource.make.pipe(
  Effect.provide(Layer.mergeAll(
    Layer.succeed(HttpClient.HttpClient, HttpClient.make(() => Effect.die("no request expected"))),
    Layer.succeed(UkciConfig, SETTINGS)
  ))
)

describe("the UK Carbon Intensity source: catalogue, names and basis", () => {
  it.effect("lists national and the 17 regions by name, all free: latest and forecast", () =>
    Effect.gen(function*() {
      const catalogue = yield* Effect.flatMap(withoutNetwork, (source) => source.catalogue)
      assert.deepStrictEqual(catalogue.map((zone) => `${zone.zone} ${zone.name}`), [
        "national Great Britain",
        "1 North Scotland",
        "2 South Scotland",
        "3 North West England",
        "4 North East England",
        "5 Yorkshire",
        "6 North Wales & Merseyside",
        "7 South Wales",
        "8 West Midlands",
        "9 East Midlands",
        "10 East England",
        "11 South West England",
        "12 South England",
        "13 London",
        "14 South East England",
        "15 England",
        "16 Scotland",
        "17 Wales"
      ])
      assert.isTrue(catalogue.every((zone) => zone.access?.latest === true && zone.access.forecast === true))
    }))

  /** The zone check over the UK catalogue alone, each typed word as a `ukci:` key. */
  const checkUk = (typed: ReadonlyArray<string>) =>
    checkChains(
      typed.map((word) => {
        const ref = parseZoneRef(`ukci:${word}`)
        return { key: ref.key, links: [ref] }
      }),
      (provider) => provider === "ukci" ? UKCI_CATALOGUE : undefined
    )

  const named: ReadonlyArray<readonly [string, string]> = [
    ["london", "ukci:13 (London)"],
    ["north-wales-merseyside", "ukci:6 (North Wales & Merseyside)"],
    ["Yorkshir", "ukci:5 (Yorkshire)"],
    ["great-britain", "ukci:national (Great Britain)"],
    ["england", "ukci:15 (England)"]
  ]
  for (const [typed, suggested] of named) {
    it(`suggests ${suggested} for ukci:${typed}`, () => {
      const result = checkUk([typed])
      assert.strictEqual(result.unknown[0]?.suggestions[0], suggested)
    })
  }

  it("keeps the ids themselves and suggests nothing for a word near no name", () => {
    const result = checkUk(["national", "13", "atlantis"])
    assert.deepStrictEqual(result.pollable.map((chain) => chain.key), ["ukci:national", "ukci:13"])
    assert.deepStrictEqual(result.unknown, [{ zone: "ukci:atlantis", suggestions: [] }])
  })

  it.effect("says its basis: average values, direct emissions; its provider and name", () =>
    Effect.gen(function*() {
      const source = yield* withoutNetwork
      assert.deepStrictEqual(source.basis, { signal: "average", emissionFactorType: "direct" })
      assert.strictEqual(source.provider, "ukci")
      assert.strictEqual(source.name, "UK Carbon Intensity API")
    }))

  it("writes period bounds as strict RFC 3339 UTC with seconds", () => {
    assert.strictEqual(normalizeInstant("2021-07-23T07:00Z"), "2021-07-23T07:00:00Z")
    assert.strictEqual(normalizeInstant("2021-07-23T08:00+01:00"), "2021-07-23T07:00:00Z")
    assert.strictEqual(normalizeInstant("2021-07-23T07:00:00Z"), "2021-07-23T07:00:00Z")
    assert.strictEqual(normalizeInstant("yesterday"), "yesterday")
  })
})

describe("UKCI_API_URL", () => {
  const load = (env: Record<string, string>) =>
    Effect.either(Effect.withConfigProvider(ukciConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))

  it.effect("defaults to the public API and shares the call knobs with every provider", () =>
    Effect.gen(function*() {
      const settings = yield* load({ REQUEST_TIMEOUT_SECONDS: "5", MAX_RETRIES: "1" })
      assert.isTrue(Either.isRight(settings))
      if (Either.isLeft(settings)) return
      assert.strictEqual(settings.right.apiUrl, "https://api.carbonintensity.org.uk")
      assert.isTrue(Duration.equals(settings.right.requestTimeout, Duration.seconds(5)))
      assert.strictEqual(settings.right.maxRetries, 1)
    }))

  it.effect("takes plain http:// only for loopback, as for Electricity Maps", () =>
    Effect.gen(function*() {
      const loopback = yield* load({ UKCI_API_URL: "http://127.0.0.1:8099/ukci/" })
      assert.deepStrictEqual(Either.map(loopback, (s) => s.apiUrl), Either.right("http://127.0.0.1:8099/ukci"))
      const remote = yield* load({ UKCI_API_URL: "http://api.carbonintensity.org.uk" })
      assert.isTrue(Either.isLeft(remote))
      if (Either.isRight(remote)) return
      assert.include(String(remote.left), "plain http:// is allowed only for loopback hosts")
    }))
})
