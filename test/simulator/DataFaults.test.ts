import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, TestClock } from "effect"
import { gunzipSync } from "node:zlib"
import { parseCli } from "../../src/simulator/Cli.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import { decodeLatest, forecastUrl, getJson, getText, latestUrl, provideClient, rawGet, send } from "./support.js"

const MARCH_6_2024_19_30 = Date.parse("2024-03-06T19:30:00.000Z")

interface ForecastJson {
  readonly zone: string
  readonly forecast: ReadonlyArray<{ readonly carbonIntensity: unknown; readonly datetime: unknown }>
  readonly updatedAt: string
}

describe("Simulator faults on the data", () => {
  it.scoped("wrong-zone: a well-formed answer for another zone, on latest and forecast", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(MARCH_6_2024_19_30)
      const sim = yield* Simulator.start({
        seed: 2,
        faults: [{ fault: { kind: "wrong-zone", zone: "PL" }, zone: "FR" }]
      })
      const latest = yield* decodeLatest((yield* getJson(latestUrl(sim.baseUrl, "FR"))).body)
      const poland = yield* decodeLatest((yield* getJson(latestUrl(sim.baseUrl, "PL"))).body)
      assert.deepStrictEqual(latest, poland)
      const forecast = (yield* getJson(forecastUrl(sim.baseUrl, "FR", 2))).body as ForecastJson
      assert.strictEqual(forecast.zone, "PL")
      // The zone checks still concern the zone asked for.
      assert.strictEqual((yield* getJson(latestUrl(sim.baseUrl, "Nowhere"))).status, 404)
    }).pipe(provideClient))

  it.scoped("datetime moves every time of the answer; bad-datetime writes a non-date", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(MARCH_6_2024_19_30)
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "datetime", offsetMinutes: -3 * 24 * 60 } }] })
      const stale = yield* decodeLatest((yield* getJson(latestUrl(sim.baseUrl, "DE"))).body)
      assert.strictEqual(stale.datetime, "2024-03-03T19:00:00.000Z")
      assert.isTrue(Date.parse(stale.updatedAt) < Date.parse(stale.datetime))
      const staleForecast = (yield* getJson(forecastUrl(sim.baseUrl, "DE", 2))).body as ForecastJson
      assert.deepStrictEqual(staleForecast.forecast.map((p) => p.datetime), [
        "2024-03-03T19:00:00.000Z",
        "2024-03-03T20:00:00.000Z"
      ])
      assert.isTrue(staleForecast.updatedAt.startsWith("2024-03-03T18:"))

      yield* sim.setFaults([{ fault: { kind: "datetime", offsetMinutes: 180 } }])
      const future = (yield* getJson(latestUrl(sim.baseUrl, "DE"))).body as { datetime: string }
      assert.strictEqual(future.datetime, "2024-03-06T22:00:00.000Z")

      yield* sim.setFaults([{ fault: { kind: "bad-datetime", value: "yesterday-ish" } }])
      assert.strictEqual(
        ((yield* getJson(latestUrl(sim.baseUrl, "DE"))).body as { datetime: string }).datetime,
        "yesterday-ish"
      )
      yield* sim.setFaults([{ fault: { kind: "bad-datetime", value: "not a date", point: 1 } }])
      const forecast = (yield* getJson(forecastUrl(sim.baseUrl, "DE", 3))).body as ForecastJson
      assert.deepStrictEqual(forecast.forecast.map((p) => p.datetime), [
        "2024-03-06T19:00:00.000Z",
        "not a date",
        "2024-03-06T21:00:00.000Z"
      ])
    }).pipe(provideClient))

  it.scoped("intensity writes the JSON token verbatim: 1e400 reaches the client as Infinity", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "intensity", raw: "1e400" } }] })
      const latest = yield* getText(latestUrl(sim.baseUrl, "DE"))
      assert.include(latest.text, "\"carbonIntensity\":1e400,")
      const parsed: { carbonIntensity: unknown } = JSON.parse(latest.text)
      assert.strictEqual(parsed.carbonIntensity, Infinity)

      // On a forecast, only the first point by default; `point` picks another, past the end the last.
      const first = yield* getText(forecastUrl(sim.baseUrl, "DE", 3))
      const firstParsed: ForecastJson = JSON.parse(first.text)
      assert.strictEqual(firstParsed.forecast[0]?.carbonIntensity, Infinity)
      assert.isTrue(
        firstParsed.forecast.slice(1).every((p) =>
          typeof p.carbonIntensity === "number" && Number.isFinite(p.carbonIntensity)
        )
      )

      yield* sim.setFaults([{ fault: { kind: "intensity", raw: "-5", point: 99 } }])
      const last: ForecastJson = JSON.parse((yield* getText(forecastUrl(sim.baseUrl, "DE", 3))).text)
      assert.deepStrictEqual(last.forecast.map((p) => p.carbonIntensity === -5), [false, false, true])

      yield* sim.setFaults([{ fault: { kind: "intensity", raw: "1e12" } }])
      assert.strictEqual(
        ((yield* getJson(latestUrl(sim.baseUrl, "DE"))).body as { carbonIntensity: number }).carbonIntensity,
        1e12
      )
    }).pipe(provideClient))

  it.scoped("emission-factor answers another factor type than the one asked for", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "emission-factor", value: "direct" } }] })
      const answer = yield* decodeLatest((yield* getJson(latestUrl(sim.baseUrl, "DE", "lifecycle"))).body)
      assert.strictEqual(answer.emissionFactorType, "direct")
    }).pipe(provideClient))

  it.scoped("echo-key puts the key in estimationMethod, escaped so raw-text redaction misses it", () =>
    Effect.gen(function*() {
      const key = "s3cr/et-K3y"
      const sim = yield* Simulator.start({ apiKey: key })
      const estimationMethod = (text: string): unknown =>
        (JSON.parse(text) as { estimationMethod: unknown }).estimationMethod

      yield* sim.setFaults([{ fault: { kind: "echo-key" } }])
      const plain = yield* getText(latestUrl(sim.baseUrl, "DE"), key)
      assert.include(plain.text, `"estimationMethod":"${key}"`)

      yield* sim.setFaults([{ fault: { kind: "echo-key", escape: "unicode" } }])
      const unicode = yield* getText(latestUrl(sim.baseUrl, "DE"), key)
      assert.notInclude(unicode.text, key)
      assert.include(unicode.text, "\\u0073\\u0033\\u0063\\u0072\\u002f")
      assert.strictEqual(estimationMethod(unicode.text), key)

      yield* sim.setFaults([{ fault: { kind: "echo-key", escape: "slash" } }])
      const slash = yield* getText(latestUrl(sim.baseUrl, "DE"), key)
      assert.notInclude(slash.text, key)
      assert.include(slash.text, "s3cr\\/et-K3y")
      assert.strictEqual(estimationMethod(slash.text), key)

      // Only a 200 is reshaped: a wrong key gets the normal refusal, which echoes nothing.
      const refused = yield* getText(latestUrl(sim.baseUrl, "DE"), "guess")
      assert.strictEqual(refused.status, 401)
      assert.notInclude(refused.text, "guess")
    }).pipe(provideClient))

  it.scoped("gzip compresses the answer even when the client asks for identity", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(MARCH_6_2024_19_30)
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "gzip" }, route: "latest", when: { next: 1 } }] })
      const headers = { "auth-token": "k", "accept-encoding": "identity" }
      const compressed = yield* rawGet(latestUrl(sim.baseUrl, "DE"), headers)
      assert.strictEqual(compressed.status, 200)
      assert.strictEqual(compressed.headers["content-encoding"], "gzip")
      const plain = yield* rawGet(latestUrl(sim.baseUrl, "DE"), headers)
      assert.strictEqual(plain.headers["content-encoding"], undefined)
      assert.strictEqual(gunzipSync(compressed.bytes).toString("utf8"), plain.bytes.toString("utf8"))
    }))

  it.scoped("ansi-message: a 500 whose message carries terminal escapes and control characters", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "ansi-message" }, route: "forecast" }] })
      const { body, status } = yield* getJson(forecastUrl(sim.baseUrl, "DE"))
      assert.strictEqual(status, 500)
      const message = (body as { message: string }).message
      for (const control of ["\u001b[31m", "\r", "\u0007"]) assert.include(message, control)
    }).pipe(provideClient))

  it.scoped("catalogue-empty and catalogue-missing thin out the zones answer", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({
        faults: [{ fault: { kind: "catalogue-empty" }, route: "zones", when: { next: 1 } }]
      })
      assert.deepStrictEqual(yield* getJson(`${sim.baseUrl}/zones`), { status: 200, body: {} })
      yield* sim.addFault({ fault: { kind: "catalogue-missing", zones: ["DE", "FR"] }, route: "zones" })
      const zones = (yield* getJson(`${sim.baseUrl}/zones`)).body as Record<string, unknown>
      assert.strictEqual(Object.keys(zones).length, 398)
      assert.isFalse(Object.hasOwn(zones, "DE") || Object.hasOwn(zones, "FR"))
      // The zones stay queryable: only the catalogue leaves them out.
      assert.strictEqual((yield* getJson(latestUrl(sim.baseUrl, "DE"))).status, 200)
    }).pipe(provideClient))

  it.scoped("arms the new kinds over HTTP and from the CLI's --fault JSON", () =>
    Effect.gen(function*() {
      const parsed = parseCli([
        "--port",
        "0",
        "--fault",
        "{\"fault\":{\"kind\":\"intensity\",\"raw\":\"-5\"},\"zone\":\"DE\"}"
      ])
      assert.isTrue(Either.isRight(parsed) && parsed.right._tag === "Run")
      if (Either.isLeft(parsed) || parsed.right._tag !== "Run") return
      const sim = yield* Simulator.start(parsed.right.options)
      assert.strictEqual(
        ((yield* getJson(latestUrl(sim.baseUrl, "DE"))).body as { carbonIntensity: number }).carbonIntensity,
        -5
      )

      const added = yield* send("POST", `${sim.origin}/__simulator/faults`, {
        fault: { kind: "echo-key", escape: "unicode" },
        zone: "FR"
      })
      assert.strictEqual(added.status, 201)
      assert.include((yield* getText(latestUrl(sim.baseUrl, "FR"), "ab")).text, "\"\\u0061\\u0062\"")
      const bad = yield* send("POST", `${sim.origin}/__simulator/faults`, {
        fault: { kind: "echo-key", escape: "base64" }
      })
      assert.strictEqual(bad.status, 400)
    }).pipe(provideClient))
})
