/**
 * A reading's text fields are what a reader can use: one over 256 characters or holding a control
 * character makes the reading unusable, with the reason named, and `updatedAt`/`createdAt` must be
 * RFC 3339 instants. One zone's oversized answer never makes the file too large for the others.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Schema, TestClock } from "effect"
import { CacheFile } from "../../src/domain/CacheFile.js"
import { parseRfc3339Instant } from "../../src/domain/Time.js"
import { checkForecast } from "../../src/forecast/Forecasts.js"
import { recallEntries } from "../../src/poll/LastKnownGood.js"
import { Poller } from "../../src/poll/Poller.js"
import { type CheckedFields, checkReading, MAX_TEXT_LENGTH } from "../../src/poll/ReadingRules.js"
import { respond } from "../support/FakeApi.js"
import { latestBody } from "../support/fixtures.js"
import { makeHarness } from "../support/harness.js"

const NOW = Date.UTC(2026, 10, 27, 12, 20, 0)
const TARGET = "/cache/carbon_cache.json"
const expected = { zone: "DE", emissionFactorType: "lifecycle", maxReadingAgeMinutes: 180 }
const reading = (overrides: Partial<CheckedFields>): CheckedFields => ({
  zone: "DE",
  carbonIntensity: 300,
  datetime: "2026-11-27T12:00:00.000Z",
  updatedAt: "2026-11-27T11:50:00.000Z",
  createdAt: "2026-11-24T12:45:00.000Z",
  emissionFactorType: "lifecycle",
  estimationMethod: "TIME_SLICER_AVERAGE",
  temporalGranularity: "hourly",
  ...overrides
})

describe("text fields and times of a reading", () => {
  it("accepts fields up to the bound, a null estimationMethod, and a missing createdAt", () => {
    assert.isUndefined(checkReading(reading({ estimationMethod: "m".repeat(MAX_TEXT_LENGTH) }), expected, NOW))
    assert.isUndefined(checkReading(reading({ estimationMethod: null, createdAt: undefined }), expected, NOW))
  })

  const refused: ReadonlyArray<[string, Partial<CheckedFields>, string, RegExp]> = [
    [
      "an estimationMethod one character too long",
      { estimationMethod: "m".repeat(257) },
      "TextTooLong",
      /estimationMethod is 257 characters long; a text field holds at most 256/
    ],
    [
      "a 1.9 MB temporalGranularity",
      { temporalGranularity: "h".repeat(1_900_000) },
      "TextTooLong",
      /temporalGranularity is 1900000 characters/
    ],
    [
      "an escape sequence in estimationMethod",
      { estimationMethod: "TIME\u001b[2J" },
      "ControlCharacter",
      /estimationMethod holds a control character \(U\+001B\) at position 4/
    ],
    ["a newline in temporalGranularity", { temporalGranularity: "hourly\nforged line" }, "ControlCharacter", /U\+000A/],
    ["a NUL in updatedAt", { updatedAt: "2026-11-27T11:50:00.000Z\u0000" }, "ControlCharacter", /updatedAt/],
    [
      "an updatedAt that is not a date",
      { updatedAt: "a while ago" },
      "BadDatetime",
      /updatedAt "a while ago" is not an RFC 3339 instant/
    ],
    ["a createdAt without a time", { createdAt: "2026-11-24" }, "BadDatetime", /createdAt "2026-11-24"/]
  ]
  for (const [what, overrides, reason, message] of refused) {
    it(`refuses ${what} as ${reason}`, () => {
      const refusal = checkReading(reading(overrides), expected, NOW)
      assert.strictEqual(refusal?.reason, reason)
      assert.match(refusal?.message ?? "", message)
      assert.isBelow(refusal?.message.length ?? 0, 200)
    })
  }
})

const decodeFile = Schema.decodeUnknownSync(Schema.parseJson(CacheFile))

describe("one zone's oversized answer", () => {
  it.effect("is refused, named in unavailable, and leaves a small file for the other zones", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const huge = latestBody("DE", 300, { estimationMethod: "x".repeat(1_900_000) })
      const h = makeHarness({
        api: { intensities: { DE: 300, FR: 50 }, scripts: { DE: [respond(200, huge)] } },
        settings: { zones: ["DE", "FR"], maxRetries: 0, maxResponseBytes: 4 * 1024 * 1024 }
      })
      yield* h.run(Effect.flatMap(Poller, (poller) => poller.pollOnce(["DE", "FR"])))
      const text = h.memory.read(TARGET) ?? ""
      const file = decodeFile(text)
      assert.deepStrictEqual(file.sorted_by_carbon, ["FR"])
      assert.strictEqual(file.unavailable?.["DE"]?.reason, "TextTooLong")
      assert.isBelow(text.length, 4_096)
      assert.isTrue(h.logLines.every((line) => line.length < 4_096))
    }))

  it.effect("a non-date in updatedAt or a control character keeps the reading out of the file", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const h = makeHarness({
        api: {
          intensities: { DE: 300, FR: 50, PL: 600 },
          scripts: {
            DE: [respond(200, latestBody("DE", 300, { updatedAt: "yesterday" }))],
            PL: [respond(200, latestBody("PL", 600, { estimationMethod: "A\u0007B" }))]
          }
        },
        settings: { zones: ["DE", "FR", "PL"], maxRetries: 0 }
      })
      yield* h.run(Effect.flatMap(Poller, (poller) => poller.pollOnce(["DE", "FR", "PL"])))
      const file = decodeFile(h.memory.read(TARGET))
      assert.deepStrictEqual(file.sorted_by_carbon, ["FR"])
      assert.strictEqual(file.unavailable?.["DE"]?.reason, "BadDatetime")
      assert.strictEqual(file.unavailable?.["PL"]?.reason, "ControlCharacter")
    }))

  it("an entry of a previous file with an oversized field is dropped, the others kept", () => {
    const entry = (zone: string, extra: Record<string, unknown>) => ({
      zone,
      carbonIntensity: 100,
      datetime: "2026-11-27T12:00:00.000Z",
      updatedAt: "2026-11-27T11:50:00.000Z",
      emissionFactorType: "lifecycle",
      isEstimated: true,
      timestamp: "2026-11-27T12:15:00",
      ...extra
    })
    const previous = JSON.stringify({
      regions: { DE: entry("DE", { estimationMethod: "z".repeat(300) }), FR: entry("FR", {}) }
    })
    const recalled = recallEntries(previous, (zone) => ({ ...expected, zone }))
    assert.deepStrictEqual(Object.keys(recalled.previous._tag === "Some" ? recalled.previous.value.regions : {}), [
      "FR"
    ])
    assert.isTrue(recalled.problems.some((problem) => /previous entry for DE refused \(TextTooLong/.test(problem)))
  })
})

describe("last-known-good provenance", () => {
  it("keeps each kept entry's sources as its file said, and none for a file without them", () => {
    const entry = {
      zone: "GB",
      carbonIntensity: 100,
      datetime: "2026-11-27T12:00:00.000Z",
      updatedAt: "2026-11-27T11:50:00.000Z",
      emissionFactorType: "direct",
      isEstimated: false,
      timestamp: "2026-11-27T12:15:00"
    }
    const ukci = { provider: "ukci", signal: "average", emissionFactorType: "direct", fallback: true } as const
    const expectations = (zone: string) => ({ zone, emissionFactorType: "direct", maxReadingAgeMinutes: 180 })
    const said = recallEntries(JSON.stringify({ regions: { GB: entry }, sources: { GB: ukci } }), expectations)
    assert.deepStrictEqual(said.previous._tag === "Some" ? said.previous.value.sources : undefined, { GB: ukci })
    const unsaid = recallEntries(JSON.stringify({ regions: { GB: entry } }), expectations)
    assert.deepStrictEqual(unsaid.previous._tag === "Some" ? unsaid.previous.value.sources : undefined, {})
  })
})

describe("one zone's oversized forecast", () => {
  it("is refused with a message of bounded length, whichever value is oversized", () => {
    const long = `2026-11-27T12:00:00.${"0".repeat(1_000_000)}Z`
    const refusals = [
      checkForecast("DE", {
        zone: "DE",
        updatedAt: long,
        points: [{ datetime: "2026-11-27T12:00:00Z", carbonIntensity: 1 }]
      }),
      checkForecast("DE", { zone: "DE", points: [{ datetime: long, carbonIntensity: 1 }] }),
      checkForecast("DE", {
        zone: "x".repeat(1_000_000),
        points: [{ datetime: "2026-11-27T12:00:00Z", carbonIntensity: 1 }]
      })
    ]
    for (const refusal of refusals) {
      assert.isTrue(Either.isLeft(refusal))
      if (Either.isLeft(refusal)) assert.isBelow(refusal.left.message.length, 300, refusal.left.reason)
    }
  })

  it("an instant has at most nine fraction digits", () => {
    assert.isDefined(parseRfc3339Instant("2026-11-27T12:00:00.123456789Z"))
    assert.isUndefined(parseRfc3339Instant("2026-11-27T12:00:00.1234567890Z"))
  })
})
