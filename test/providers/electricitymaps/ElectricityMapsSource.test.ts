import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Random, TestClock } from "effect"
import { CarbonSource } from "../../../src/ports/CarbonSource.js"
import * as ElectricityMapsSource from "../../../src/providers/electricitymaps/ElectricityMapsSource.js"
import { isTransientReason } from "../../../src/providers/http/RetryPolicy.js"
import { delayed, type FakeApiOptions, hang, makeFakeApi, respond, transport } from "../../support/FakeApi.js"
import { fixtureJson, fixtureNames, fixtureText, latestBody } from "../../support/fixtures.js"
import * as TestSettings from "../../support/settings.js"

const ZONE = "US-CAL-CISO"

/** A fresh fake API and client per test; jitter made deterministic with a seeded `Random`. */
const setup = (options: FakeApiOptions, overrides: Partial<TestSettings.Settings> = {}) => {
  const fake = makeFakeApi({ intensities: { [ZONE]: 250.5 }, ...options })
  const config = TestSettings.layer(overrides)
  const layer = ElectricityMapsSource.layer.pipe(Layer.provide(Layer.mergeAll(fake.layer, config)))
  const latest = (zone = ZONE) =>
    Effect.flatMap(CarbonSource, (source) => source.latest(zone)).pipe(
      Effect.provide(layer),
      Effect.withRandom(Random.make("jitter-seed"))
    )
  return { fake, latest, layer }
}

describe("the Electricity Maps source: latest", () => {
  it.effect("asks GET {base}/carbon-intensity/latest with zone, emissionFactorType and the auth-token header", () =>
    Effect.gen(function*() {
      const { fake, latest } = setup({}, { emissionFactorType: "direct" })
      const reading = yield* latest()
      assert.strictEqual(reading.carbonIntensity, 250.5)
      assert.strictEqual(fake.requests.length, 1)
      const { headers, url } = fake.requests[0]!
      assert.strictEqual(`${url.origin}${url.pathname}`, "https://api.test/v4/carbon-intensity/latest")
      assert.strictEqual(url.searchParams.get("zone"), ZONE)
      assert.strictEqual(url.searchParams.get("emissionFactorType"), "direct")
      assert.strictEqual(headers["auth-token"], TestSettings.TEST_API_KEY)
    }))

  it.effect("tells the port the deployment's basis (average values) and its own request timeout", () =>
    Effect.gen(function*() {
      const { layer } = setup({}, { emissionFactorType: "direct", requestTimeout: Duration.seconds(7) })
      const source = yield* Effect.provide(CarbonSource, layer)
      assert.deepStrictEqual(source.basis, { signal: "average", emissionFactorType: "direct" })
      assert.isTrue(Duration.equals(source.requestTimeout, Duration.seconds(7)))
    }))

  for (const name of fixtureNames("latest.")) {
    it.effect(`decodes the recorded body ${name}`, () =>
      Effect.gen(function*() {
        const body = fixtureJson(name)
        const { latest } = setup({ scripts: { [ZONE]: [respond(200, fixtureText(name))] } })
        const reading = yield* latest()
        assert.strictEqual(reading.carbonIntensity, body["carbonIntensity"])
        assert.strictEqual(reading.zone, body["zone"])
        assert.strictEqual("createdAt" in reading, "createdAt" in body)
        assert.strictEqual(reading.estimationMethod, body["estimationMethod"])
      }))
  }

  const permanent: ReadonlyArray<[string, number, string, string, RegExp]> = [
    [
      "error.invalid-token.json",
      401,
      "error.invalid-token.json",
      "Unauthorized",
      /Invalid auth-token: The provided token is invalid/
    ],
    [
      "error.missing-header.json",
      401,
      "error.missing-header.json",
      "Unauthorized",
      /Please provide a valid authentication header/
    ],
    [
      "error.zone-not-in-plan.json",
      401,
      "error.zone-not-in-plan.json",
      "Unauthorized",
      /Request unauthorized for zoneKey=IT/
    ],
    ["error.token-invalid.403.json", 403, "error.token-invalid.403.json", "Forbidden", /Token is invalid/],
    ["error.no-recent-data.json", 404, "error.no-recent-data.json", "NoData", /No recent data for zone "US-MIDW-MISO"/],
    ["error.no-recent-data.invalid-json.txt", 404, "error.no-recent-data.invalid-json.txt", "NoData", /No recent data/],
    ["an unknown zone", 404, "", "ZoneNotFound", /does not exist/],
    ["a bad request", 400, "", "BadRequest", /.*/]
  ]
  for (const [what, status, file, reason, message] of permanent) {
    it.effect(`maps ${what} (HTTP ${status}) to ${reason} and does not retry it`, () =>
      Effect.gen(function*() {
        const body = file === "" ? JSON.stringify({ error: `Zone '${ZONE}' does not exist` }) : fixtureText(file)
        const { fake, latest } = setup({ scripts: { [ZONE]: [respond(status, body)] } })
        const error = yield* Effect.flip(latest())
        assert.strictEqual(error.reason, reason)
        assert.strictEqual(error.status, status)
        assert.strictEqual(error.zone, ZONE)
        assert.match(error.providerMessage ?? "", message)
        assert.isFalse(isTransientReason(error.reason))
        assert.strictEqual(fake.requestsFor(ZONE), 1)
        assert.match(error.message, new RegExp(`^zone ${ZONE}: ${reason} \\(HTTP ${status}\\)`))
      }))
  }

  it.effect("treats a 200 whose body is not JSON as a BadResponse, not a crash", () =>
    Effect.gen(function*() {
      const { fake, latest } = setup({
        scripts: { [ZONE]: [respond(200, fixtureText("error.no-recent-data.invalid-json.txt"))] }
      })
      const error = yield* Effect.flip(latest())
      assert.strictEqual(error.reason, "BadResponse")
      assert.strictEqual(fake.requestsFor(ZONE), 1)
    }))

  it.effect("says what the API sent when its answer does not decode", () =>
    Effect.gen(function*() {
      const { latest } = setup({
        scripts: { [ZONE]: [respond(200, fixtureText("error.no-recent-data.invalid-json.txt"))] }
      })
      const error = yield* Effect.flip(latest())
      assert.match(error.providerMessage ?? "", /the API said: \{"error":"No recent data for zone "US-MIDW-MISO""\}/)
    }))

  it.effect("never carries the key into a reading, even when a successful answer echoes it", () =>
    Effect.gen(function*() {
      const { latest } = setup({
        scripts: { [ZONE]: [respond(200, latestBody(ZONE, 1, { estimationMethod: TestSettings.TEST_API_KEY }))] }
      })
      const reading = yield* latest()
      assert.strictEqual(reading.estimationMethod, "<redacted>")
    }))

  it.effect("treats a 200 of the wrong shape as a BadResponse", () =>
    Effect.gen(function*() {
      const { latest } = setup({ scripts: { [ZONE]: [respond(200, fixtureText("forecast.DE.json"))] } })
      const error = yield* Effect.flip(latest())
      assert.strictEqual(error.reason, "BadResponse")
      assert.match(error.providerMessage ?? "", /unexpected answer/)
    }))

  it.effect("still requires updatedAt, which every Electricity Maps answer carries", () =>
    Effect.gen(function*() {
      const { updatedAt: _, ...withoutUpdatedAt } = JSON.parse(latestBody(ZONE, 100)) as Record<string, unknown>
      const { latest } = setup({ scripts: { [ZONE]: [respond(200, JSON.stringify(withoutUpdatedAt))] } })
      const error = yield* Effect.flip(latest())
      assert.strictEqual(error.reason, "BadResponse")
      assert.match(error.providerMessage ?? "", /updatedAt/)
    }))

  it.effect("reports carbonIntensity null as NoData", () =>
    Effect.gen(function*() {
      const { latest } = setup({ scripts: { [ZONE]: [respond(200, latestBody(ZONE, null))] } })
      const error = yield* Effect.flip(latest())
      assert.strictEqual(error.reason, "NoData")
    }))

  it.effect("fails a body over MAX_RESPONSE_BYTES without retrying", () =>
    Effect.gen(function*() {
      const huge = latestBody(ZONE, 1, { padding: "x".repeat(100_000) })
      const { fake, latest } = setup({ scripts: { [ZONE]: [respond(200, huge)] } }, { maxResponseBytes: 64 * 1024 })
      const error = yield* Effect.flip(latest())
      assert.strictEqual(error.reason, "BodyTooLarge")
      assert.strictEqual(fake.requestsFor(ZONE), 1)
    }))

  it.effect("retries a 503 with backoff and succeeds", () =>
    Effect.gen(function*() {
      const { fake, latest } = setup({
        scripts: { [ZONE]: [respond(503, "unavailable"), respond(503, "unavailable")] }
      })
      const fiber = yield* Effect.fork(latest())
      yield* TestClock.adjust("1 minute")
      const reading = yield* Fiber.join(fiber)
      assert.strictEqual(reading.carbonIntensity, 250.5)
      assert.strictEqual(fake.requestsFor(ZONE), 3)
    }))

  it.effect("gives up after MAX_RETRIES retries of a transient failure", () =>
    Effect.gen(function*() {
      const { fake, latest } = setup({ scripts: { [ZONE]: Array.from({ length: 10 }, () => respond(500, "boom")) } }, {
        maxRetries: 3
      })
      const fiber = yield* Effect.fork(Effect.flip(latest()))
      yield* TestClock.adjust("5 minutes")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.reason, "ServerError")
      assert.strictEqual(fake.requestsFor(ZONE), 4)
    }))

  it.effect("retries a proxy's HTML 502 and says what the page said", () =>
    Effect.gen(function*() {
      const html = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
      const { fake, latest } = setup({ scripts: { [ZONE]: [respond(502, html, { "content-type": "text/html" })] } }, {
        maxRetries: 0
      })
      const error = yield* Effect.flip(latest())
      assert.strictEqual(error.reason, "ServerError")
      assert.strictEqual(error.providerMessage, "HTML page: 502 Bad Gateway")
      assert.strictEqual(fake.requestsFor(ZONE), 1)
    }))

  it.effect("waits as long as a 429's Retry-After (seconds) asks before retrying", () =>
    Effect.gen(function*() {
      const { fake, latest } = setup({ scripts: { [ZONE]: [respond(429, "{}", { "retry-after": "7" })] } })
      const fiber = yield* Effect.fork(latest())
      yield* TestClock.adjust("6999 millis")
      assert.strictEqual(fake.requestsFor(ZONE), 1)
      yield* TestClock.adjust("1 millis")
      const reading = yield* Fiber.join(fiber)
      assert.strictEqual(reading.carbonIntensity, 250.5)
      assert.strictEqual(fake.requestsFor(ZONE), 2)
    }))

  it.effect("honours Retry-After as an HTTP date on a 503", () =>
    Effect.gen(function*() {
      const retryAt = new Date(12_000).toUTCString() // TestClock starts at the epoch
      const { fake, latest } = setup({ scripts: { [ZONE]: [respond(503, "", { "retry-after": retryAt })] } })
      const fiber = yield* Effect.fork(latest())
      yield* TestClock.adjust("11 seconds")
      assert.strictEqual(fake.requestsFor(ZONE), 1)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual(fake.requestsFor(ZONE), 2)
    }))

  it.effect("caps a long Retry-After at RETRY_MAX_DELAY_SECONDS", () =>
    Effect.gen(function*() {
      const { fake, latest } = setup(
        { scripts: { [ZONE]: [respond(429, "", { "retry-after": "3600" })] } },
        { retryMaxDelay: Duration.seconds(30) }
      )
      const fiber = yield* Effect.fork(latest())
      yield* TestClock.adjust("29 seconds")
      assert.strictEqual(fake.requestsFor(ZONE), 1)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual(fake.requestsFor(ZONE), 2)
    }))

  it.effect("times out a request that never answers, and retries it", () =>
    Effect.gen(function*() {
      const { fake, latest } = setup({ scripts: { [ZONE]: [hang] } }, { requestTimeout: Duration.seconds(10) })
      const fiber = yield* Effect.fork(latest())
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(fake.requestsFor(ZONE), 1)
      yield* TestClock.adjust("1 minute")
      const reading = yield* Fiber.join(fiber)
      assert.strictEqual(reading.carbonIntensity, 250.5)
      assert.strictEqual(fake.requestsFor(ZONE), 2)
    }))

  it.effect("reports Timeout when every attempt is too slow", () =>
    Effect.gen(function*() {
      const { latest } = setup({ scripts: { [ZONE]: [delayed("20 seconds", respond(200, latestBody(ZONE, 1)))] } }, {
        maxRetries: 0
      })
      const fiber = yield* Effect.fork(Effect.flip(latest()))
      yield* TestClock.adjust("10 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.reason, "Timeout")
      assert.match(error.message, /no complete answer within 10s/)
    }))

  it.effect("retries a transport failure (connection refused)", () =>
    Effect.gen(function*() {
      const { fake, latest } = setup({ scripts: { [ZONE]: [transport] } })
      const fiber = yield* Effect.fork(latest())
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      assert.strictEqual(fake.requestsFor(ZONE), 2)
    }))

  it.effect("never lets the key into an error message, even when the API echoes it", () =>
    Effect.gen(function*() {
      const { latest } = setup({
        scripts: { [ZONE]: [respond(401, JSON.stringify({ error: `bad token ${TestSettings.TEST_API_KEY}` }))] }
      })
      const error = yield* Effect.flip(latest())
      assert.notInclude(error.message, TestSettings.TEST_API_KEY)
      assert.include(error.message, "bad token <redacted>")
    }))
})

describe("the Electricity Maps source: the zone catalogue", () => {
  it.effect("decodes the recorded zone list", () =>
    Effect.gen(function*() {
      const { layer } = setup({})
      const catalogue = yield* Effect.flatMap(CarbonSource, (source) => source.catalogue).pipe(Effect.provide(layer))
      assert.strictEqual(catalogue.length, 400)
      assert.strictEqual(
        catalogue.find((zone) => zone.zone === "US-NY-NYIS")?.name,
        "New York Independent System Operator"
      )
    }))
})
