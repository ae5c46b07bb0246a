/**
 * Nothing stale, wrong or impossible is presented as fresh, and the key leaves the process in no
 * form: each rule against the service over a fake API (or as a plain function), each with the
 * reason it is refused under.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Logger, LogLevel, Redacted, Schema, TestClock } from "effect"
import { pollOnceAndExit } from "../../src/app/Commands.js"
import { CacheFile } from "../../src/domain/CacheFile.js"
import { sanitize } from "../../src/observability/Logging.js"
import { recallEntries } from "../../src/poll/LastKnownGood.js"
import { Poller } from "../../src/poll/Poller.js"
import { checkReading } from "../../src/poll/ReadingRules.js"
import { makeRedactor } from "../../src/providers/http/Redaction.js"
import { respond } from "../support/FakeApi.js"
import { latestBody } from "../support/fixtures.js"
import { makeHarness } from "../support/harness.js"
import { aCacheEntry } from "../support/samples.js"
import { TEST_API_KEY } from "../support/settings.js"

const NOW = Date.UTC(2026, 10, 27, 12, 20, 0)
const TARGET = "/cache/carbon_cache.json"
const expected = { zone: "DE", emissionFactorType: "lifecycle", maxReadingAgeMinutes: 180 }
const fields = (
  overrides: Partial<{ zone: string; carbonIntensity: number; datetime: string; emissionFactorType: string }>
) => ({
  zone: "DE",
  carbonIntensity: 300,
  datetime: "2026-11-27T12:00:00.000Z",
  emissionFactorType: "lifecycle",
  ...overrides
})

describe("the reading rules", () => {
  it("accepts the current hourly slot, and a slot up to 60 minutes ahead", () => {
    assert.isUndefined(checkReading(fields({}), expected, NOW))
    assert.isUndefined(checkReading(fields({ datetime: "2026-11-27T13:20:00Z" }), expected, NOW))
    assert.isUndefined(checkReading(fields({ datetime: "2026-11-27T09:20:00+00:00" }), expected, NOW))
  })

  const refused: ReadonlyArray<[string, Parameters<typeof fields>[0], string]> = [
    ["a body for another zone", { zone: "FR" }, "WrongZone"],
    ["a negative intensity", { carbonIntensity: -5 }, "ImpossibleValue"],
    ["an absurd intensity (1e12)", { carbonIntensity: 1e12 }, "ImpossibleValue"],
    ["Infinity (1e400 in JSON)", { carbonIntensity: Number.POSITIVE_INFINITY }, "ImpossibleValue"],
    ["NaN", { carbonIntensity: Number.NaN }, "ImpossibleValue"],
    ["a datetime days old", { datetime: "2026-11-24T12:00:00Z" }, "StaleReading"],
    ["a datetime just over MAX_READING_AGE_MINUTES old", { datetime: "2026-11-27T09:19:59Z" }, "StaleReading"],
    ["a datetime hours in the future", { datetime: "2026-11-27T15:00:00Z" }, "FutureReading"],
    ["a datetime that is not a date", { datetime: "yesterday" }, "BadDatetime"],
    ["a date without a time", { datetime: "2026-11-27" }, "BadDatetime"],
    ["direct in answer to lifecycle", { emissionFactorType: "direct" }, "WrongEmissionFactor"]
  ]
  for (const [what, overrides, reason] of refused) {
    it(`refuses ${what} as ${reason}`, () => {
      assert.strictEqual(checkReading(fields(overrides), expected, NOW)?.reason, reason)
    })
  }
})

const decodeFile = Schema.decodeUnknownSync(Schema.parseJson(CacheFile))

/** One poll of DE and FR at NOW, DE answering `body`. */
const pollWith = (body: string, settings: Parameters<typeof makeHarness>[0]["settings"] = {}) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(NOW)
    const h = makeHarness({
      api: { intensities: { DE: 300, FR: 50 }, scripts: { DE: [respond(200, body)] } },
      settings: { zones: ["DE", "FR"], maxRetries: 0, ...settings }
    })
    yield* h.run(Effect.flatMap(Poller, (poller) => poller.pollOnce(["DE", "FR"])))
    const text = h.memory.read(TARGET) ?? ""
    return { h, text, file: decodeFile(text) }
  })

describe("refused readings in the service", () => {
  const cases: ReadonlyArray<[string, string, string]> = [
    ["a body for another zone", latestBody("FR", 10), "WrongZone"],
    [
      "1e400, which JSON reads as Infinity",
      latestBody("DE", 1).replace("\"carbonIntensity\":1", "\"carbonIntensity\":1e400"),
      "ImpossibleValue"
    ],
    ["a negative value", latestBody("DE", -5), "ImpossibleValue"],
    ["a value of 1e12", latestBody("DE", 1e12), "ImpossibleValue"],
    ["a datetime three days old", latestBody("DE", 300, { datetime: "2026-11-24T12:00:00.000Z" }), "StaleReading"],
    ["a datetime hours ahead", latestBody("DE", 300, { datetime: "2026-11-27T18:00:00.000Z" }), "FutureReading"],
    ["a datetime that is not a date", latestBody("DE", 300, { datetime: "not a date" }), "BadDatetime"],
    [
      "direct in answer to a lifecycle request",
      latestBody("DE", 300, { emissionFactorType: "direct" }),
      "WrongEmissionFactor"
    ]
  ]
  for (const [what, body, reason] of cases) {
    it.effect(`keeps ${what} out of the ranking, names the zone in unavailable as ${reason}, and writes a valid file`, () =>
      Effect.gen(function*() {
        const { file, h } = yield* pollWith(body)
        assert.deepStrictEqual(file.sorted_by_carbon, ["FR"])
        assert.isFalse("DE" in file.regions)
        assert.strictEqual(file.unavailable?.["DE"]?.reason, reason)
        assert.isTrue(h.logLines.some((line) => line.includes("zone DE") && line.includes(reason)))
      }))
  }

  it.effect("holds readings to the deployment's basis: with EMISSION_FACTOR_TYPE=direct, lifecycle is refused", () =>
    Effect.gen(function*() {
      // DE answers direct; FR answers lifecycle, as the recorded body does.
      const { file } = yield* pollWith(latestBody("DE", 300, { emissionFactorType: "direct" }), {
        emissionFactorType: "direct"
      })
      assert.deepStrictEqual(file.sorted_by_carbon, ["DE"])
      assert.strictEqual(file.unavailable?.["FR"]?.reason, "WrongEmissionFactor")
    }))

  it.effect("ranks a reading of the current hour as before", () =>
    Effect.gen(function*() {
      const { file } = yield* pollWith(latestBody("DE", 300))
      assert.deepStrictEqual(file.sorted_by_carbon, ["FR", "DE"])
    }))
})

describe("the previous file at start", () => {
  // Any value, even one no reading could hold: the previous file may say anything.
  const entry = (zone: string, carbonIntensity: unknown) => ({
    ...aCacheEntry(zone, 0, {
      datetime: "2026-11-27T12:00:00.000Z",
      updatedAt: "2026-11-27T11:50:00.000Z",
      timestamp: "2026-11-27T12:15:00"
    }),
    carbonIntensity
  })
  const previousFile = JSON.stringify({
    timestamp: "2026-11-27T12:15:00",
    ttl_minutes: 10,
    regions: { DE: entry("DE", 300), FR: entry("FR", null), PL: entry("PL", -1), SE: entry("SE", 20) },
    sorted_by_carbon: ["SE", "DE"],
    best_region: "SE",
    worst_region: "DE"
  })

  it("keeps every entry that still decodes and passes the rules, and names the others", () => {
    const recalled = recallEntries(previousFile, (zone) => ({ ...expected, zone }))
    assert.deepStrictEqual(Object.keys(recalled.previous._tag === "Some" ? recalled.previous.value.regions : {}), [
      "DE",
      "SE"
    ])
    assert.strictEqual(recalled.problems.length, 2)
    assert.match(recalled.problems.join("\n"), /FR does not decode/)
    assert.match(recalled.problems.join("\n"), /PL refused \(ImpossibleValue/)
  })

  it.effect("reports a previous file that is not JSON and starts without it", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const h = makeHarness({
        api: { intensities: { DE: 300 } },
        settings: { zones: ["DE"] },
        fs: { files: { [TARGET]: "{\"timestamp\": " } }
      })
      yield* h.run(pollOnceAndExit)
      assert.isTrue(h.logLines.some((line) => line.includes("previous cache is not JSON")))
    }))

  it.effect("uses the surviving entries as last-known-good", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const h = makeHarness({
        api: { intensities: { DE: 300 }, scripts: { SE: [respond(503, "down")] } },
        settings: { zones: ["DE", "SE"], maxRetries: 0 },
        fs: { files: { [TARGET]: previousFile } }
      })
      yield* h.run(Effect.flatMap(Poller, (poller) => poller.pollOnce(["DE", "SE"])))
      const file = decodeFile(h.memory.read(TARGET))
      assert.deepStrictEqual(file.regions["SE"]?.timestamp, "2026-11-27T12:15:00")
      assert.isTrue(h.logLines.some((line) => line.includes("previous entry for PL refused")))
    }))
})

describe("the key in every form", () => {
  const key = TEST_API_KEY
  const unicodeEscaped = [...key].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")

  it.effect("redacts a key the API echoes JSON-escaped (\\uXXXX) in a field the cache keeps", () =>
    Effect.gen(function*() {
      const body = latestBody("DE", 300, { estimationMethod: "__ECHO__" }).replace("__ECHO__", unicodeEscaped)
      const { file, text } = yield* pollWith(body)
      assert.notInclude(text, key)
      assert.strictEqual(file.regions["DE"]?.estimationMethod, "<redacted>")
    }))

  it.effect("redacts a key with `/` echoed as `\\/`", () =>
    Effect.gen(function*() {
      const slashKey = "abc/def-0123456789/xyz"
      const body = latestBody("DE", 300, { estimationMethod: "__ECHO__" }).replace(
        "__ECHO__",
        slashKey.replaceAll("/", "\\/")
      )
      const { file, text } = yield* pollWith(body, { apiKey: Redacted.make(slashKey) })
      assert.notInclude(text, slashKey)
      assert.strictEqual(file.regions["DE"]?.estimationMethod, "<redacted>")
    }))

  it("finds the key in raw text however JSON escaped it", () => {
    const redactor = makeRedactor("abc/def")
    assert.strictEqual(redactor.text("x abc/def y"), "x <redacted> y")
    assert.strictEqual(redactor.text("x abc\\/def y"), "x <redacted> y")
    assert.strictEqual(redactor.text("x \\u0061\\u0062\\u0063/d\\u0065f y"), "x <redacted> y")
    assert.strictEqual(makeRedactor("zz").text("\\u007A\\u007a"), "<redacted>")
    // Another key that differs only in case is not this key.
    assert.strictEqual(redactor.text("x ABC/DEF y"), "x ABC/DEF y")
  })

  it.effect("protects a very short key without rewriting ordinary data", () =>
    Effect.gen(function*() {
      const { file } = yield* pollWith(latestBody("DE", 300, { estimationMethod: "2026" }), {
        apiKey: Redacted.make("2026")
      })
      const entry = file.regions["DE"]!
      assert.strictEqual(entry.datetime, "2026-11-27T12:00:00.000Z")
      assert.isFalse((entry.updatedAt ?? "").includes("<redacted>"))
      assert.isDefined(entry.updatedAt)
      assert.strictEqual(entry.estimationMethod, "<redacted>")
    }))

  it.effect("sends only the headers the API needs: no tracing headers, even inside a span", () =>
    Effect.gen(function*() {
      const h = makeHarness({ api: { intensities: { DE: 300 } }, settings: { zones: ["DE"] } })
      yield* h.run(Effect.flatMap(Poller, (poller) => poller.pollOnce(["DE"])).pipe(Effect.withSpan("outer")))
      const headers = h.api.requests.find((request) =>
        request.url.pathname.endsWith("/carbon-intensity/latest")
      )!.headers
      assert.deepStrictEqual(Object.keys(headers).sort(), ["accept", "accept-encoding", "auth-token", "user-agent"])
      assert.strictEqual(headers["accept-encoding"], "identity")
      assert.match(headers["user-agent"] ?? "", /^carbon-poller\/\d+\.\d+\.\d+$/)
    }))
})

describe("what reaches the log", () => {
  it.effect("refuses a gzip-encoded answer with a readable reason, never its bytes", () =>
    Effect.gen(function*() {
      const gzipped = respond(200, "\u001f\u008b\u0008\u0000garbage", { "content-encoding": "gzip" })
      const h = makeHarness({
        api: { intensities: { DE: 300 }, scripts: { DE: [gzipped] } },
        settings: { zones: ["DE"], maxRetries: 0 }
      })
      const summary = yield* h.run(Effect.flatMap(Poller, (poller) => poller.pollOnce(["DE"])))
      assert.strictEqual(summary.failures[0]?.reason, "BadResponse")
      assert.match(
        summary.failures[0]?.message ?? "",
        /compressed answer \(content-encoding: gzip\) though identity was asked for/
      )
      assert.isFalse(h.logLines.some((line) => line.includes("garbage")))
    }))

  it("strips ANSI escapes and control characters from log text", () => {
    assert.strictEqual(sanitize("\u001b[31mred\u001b[0m\r\u0007bell\u001b[2K"), "red??bell")
  })

  it.effect("logs an API message full of escapes as one clean line", () =>
    Effect.gen(function*() {
      const body = JSON.stringify({ error: "boom", message: "\u001b[31mred\u001b[0m\r\nforged line\u0007" })
      const harness = makeHarness({
        api: { intensities: { DE: 300 }, scripts: { DE: [respond(500, body)] } },
        settings: { zones: ["DE"], maxRetries: 0 }
      })
      yield* harness.run(Effect.flatMap(Poller, (poller) => poller.pollOnce(["DE"])))
      const line = harness.logLines.find((l) => l.includes("zone DE"))!
      assert.notInclude(line, "\u001b")
      assert.notInclude(JSON.parse(line).message as string, "\n")
    }))

  it.effect("says \"retrying\" only for attempts that are retried", () =>
    Effect.gen(function*() {
      const h = makeHarness({
        api: {
          intensities: { DE: 300, FR: 50 },
          scripts: {
            DE: [respond(401, "{\"error\":\"Invalid auth-token\"}")],
            FR: [respond(503, "down"), respond(503, "down")]
          }
        },
        settings: { zones: ["DE", "FR"], maxRetries: 1, retryBaseDelay: Duration.millis(1) }
      })
      const fiber = yield* Effect.fork(
        h.run(Effect.flatMap(Poller, (poller) => poller.pollOnce(["DE", "FR"]))).pipe(
          Logger.withMinimumLogLevel(LogLevel.Debug)
        )
      )
      yield* TestClock.adjust("1 minute")
      yield* fiber.await
      const retrying = h.logLines.filter((line) => line.includes("retrying"))
      assert.strictEqual(retrying.length, 1)
      assert.include(retrying[0]!, "zone FR")
    }))
})
