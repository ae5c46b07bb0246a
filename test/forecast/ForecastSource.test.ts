/** The Electricity Maps adapter's forecast route, over a fake HttpClient. */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Either, Layer, Random } from "effect"
import { checkForecast } from "../../src/forecast/Forecasts.js"
import { CarbonSource } from "../../src/ports/CarbonSource.js"
import * as ElectricityMapsSource from "../../src/providers/electricitymaps/ElectricityMapsSource.js"
import { type FakeApiOptions, makeFakeApi, respond } from "../support/FakeApi.js"
import { fixtureText, forecastBody } from "../support/fixtures.js"
import * as TestSettings from "../support/settings.js"

const setup = (options: FakeApiOptions, overrides: Partial<TestSettings.Settings> = {}) => {
  const fake = makeFakeApi(options)
  const layer = ElectricityMapsSource.layer.pipe(
    Layer.provide(Layer.mergeAll(fake.layer, TestSettings.layer(overrides)))
  )
  const forecast = (zone: string, horizonHours = 24) =>
    Effect.flatMap(CarbonSource, (source) => source.forecast(zone, horizonHours)).pipe(
      Effect.provide(layer),
      Effect.withRandom(Random.make("forecast-jitter"))
    )
  return { fake, forecast }
}

const V4_BODY = forecastBody("DE", "2024-03-06T10:00:00Z", [300, 200, 100], { temporalGranularity: "15_minutes" })

describe("the Electricity Maps source: forecast", () => {
  it.effect("asks GET {base}/carbon-intensity/forecast with zone, horizonHours and the auth-token header", () =>
    Effect.gen(function*() {
      const { fake, forecast } = setup({ forecasts: { DE: V4_BODY } })
      yield* forecast("DE", 48)
      assert.strictEqual(fake.requests.length, 1)
      const { headers, url } = fake.requests[0]!
      assert.strictEqual(`${url.origin}${url.pathname}`, "https://api.test/v4/carbon-intensity/forecast")
      assert.strictEqual(url.searchParams.get("zone"), "DE")
      assert.strictEqual(url.searchParams.get("horizonHours"), "48")
      assert.strictEqual(headers["auth-token"], TestSettings.TEST_API_KEY)
    }))

  it.effect("decodes the recorded v3 bodies, which carry no temporalGranularity", () =>
    Effect.gen(function*() {
      for (const name of ["forecast.DE.json", "forecast.docs-example.json"]) {
        const body = fixtureText(name)
        const zone = (JSON.parse(body) as { zone: string }).zone
        const answer = yield* setup({ forecasts: { [zone]: body } }).forecast(zone)
        assert.strictEqual(answer.zone, zone)
        assert.isUndefined(answer.temporalGranularity)
        assert.isTrue(answer.points.length > 0)
        assert.isString(answer.updatedAt)
        assert.isTrue(Either.isRight(checkForecast(zone, answer)), name)
      }
    }))

  it.effect("decodes a v4 body with temporalGranularity and keeps it, so the last point's span is right", () =>
    Effect.gen(function*() {
      const answer = yield* setup({ forecasts: { DE: V4_BODY } }).forecast("DE")
      assert.strictEqual(answer.temporalGranularity, "15_minutes")
      const series = checkForecast("DE", answer)
      assert.isTrue(Either.isRight(series))
      if (Either.isRight(series)) assert.strictEqual(series.right.stepMillis, 15 * 60_000)
    }))

  it.effect("an undecodable body is a BadResponse, not retried", () =>
    Effect.gen(function*() {
      const { fake, forecast } = setup({ forecastScripts: { DE: [respond(200, "{\"zone\":\"DE\",\"forecast\":7}")] } })
      const error = yield* Effect.flip(forecast("DE"))
      assert.strictEqual(error.reason, "BadResponse")
      assert.strictEqual(fake.forecastRequestsFor("DE"), 1)
    }))

  it.effect("a 401 is Unauthorized with the API's message and is not retried", () =>
    Effect.gen(function*() {
      const refusal = JSON.stringify({
        error: "Request unauthorized for zoneKey=DE,requestType=forecast,dataType=carbon-intensity."
      })
      const { fake, forecast } = setup({ forecastScripts: { DE: [respond(401, refusal)] }, forecasts: { DE: V4_BODY } })
      const error = yield* Effect.flip(forecast("DE"))
      assert.strictEqual(error.reason, "Unauthorized")
      assert.include(error.providerMessage, "requestType=forecast")
      assert.strictEqual(fake.forecastRequestsFor("DE"), 1)
    }))

  it.effect("a 503 is retried like a latest reading, then succeeds", () =>
    Effect.gen(function*() {
      const { fake, forecast } = setup({
        forecastScripts: { DE: [respond(503, "{}"), respond(503, "{}")] },
        forecasts: { DE: V4_BODY }
      }, { retryBaseDelay: Duration.zero })
      const answer = yield* forecast("DE")
      assert.strictEqual(answer.points.length, 3)
      assert.strictEqual(fake.forecastRequestsFor("DE"), 3)
    }))

  it.effect("a body over MAX_RESPONSE_BYTES fails as BodyTooLarge", () =>
    Effect.gen(function*() {
      const big = forecastBody("DE", "2024-03-06T10:00:00Z", Array.from({ length: 2000 }, () => 100))
      const error = yield* Effect.flip(setup({ forecasts: { DE: big } }, { maxResponseBytes: 4096 }).forecast("DE"))
      assert.strictEqual(error.reason, "BodyTooLarge")
    }))

  it.effect("never lets the key into a refusal's message, even when the answer echoes it", () =>
    Effect.gen(function*() {
      const body = forecastBody("DE", "2024-03-06T10:00:00Z", [100, 200], {
        forecast: [{ carbonIntensity: 100, datetime: TestSettings.TEST_API_KEY }]
      })
      const answer = yield* setup({ forecasts: { DE: body } }).forecast("DE")
      const series = checkForecast("DE", answer)
      assert.isTrue(Either.isLeft(series))
      if (Either.isLeft(series)) {
        assert.strictEqual(series.left.reason, "BadDatetime")
        assert.notInclude(series.left.message, TestSettings.TEST_API_KEY)
        assert.include(series.left.message, "<redacted>")
      }
    }))
})
