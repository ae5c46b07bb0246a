/**
 * A reader of the format before forecasts (the Go scheduler) still accepts a file with the forecast
 * keys: decoded with a schema of only the old keys, as Go's encoding/json decodes into a struct
 * (unknown keys ignored), and checked against the published JSON Schema's rules for the top level.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema, TestClock } from "effect"
import { readFileSync } from "node:fs"
import { pollOnceAndExit } from "../../src/app/Commands.js"
import { CacheFile } from "../../src/domain/CacheFile.js"
import { renderCacheSchema } from "../../src/tools/writeCacheSchema.js"
import { forecastBody } from "../support/fixtures.js"
import { makeHarness } from "../support/harness.js"
import { CONTRACT_KEYS } from "../support/samples.js"
import { at } from "./support.js"

/** The file as readers knew it before forecasts (and before `expires_at`/`unavailable`). */
const OldEntry = Schema.Struct({
  zone: Schema.String,
  carbonIntensity: Schema.Number,
  datetime: Schema.String,
  updatedAt: Schema.String,
  createdAt: Schema.optional(Schema.String),
  emissionFactorType: Schema.String,
  isEstimated: Schema.Boolean,
  estimationMethod: Schema.optional(Schema.NullOr(Schema.String)),
  temporalGranularity: Schema.optional(Schema.NullOr(Schema.String)),
  timestamp: Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/))
})
const OldFormat = Schema.Struct({
  timestamp: Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/)),
  ttl_minutes: Schema.Number,
  regions: Schema.Record({ key: Schema.String, value: OldEntry }),
  sorted_by_carbon: Schema.Array(Schema.String),
  best_region: Schema.String,
  worst_region: Schema.String
})
const decodeOld = Schema.decodeUnknownSync(Schema.parseJson(OldFormat), { onExcessProperty: "ignore" })
const decodeNew = Schema.decodeUnknownSync(Schema.parseJson(CacheFile), { onExcessProperty: "error" })

/** The example in docs/forecasts.md: the first JSON block. */
const documentedExample = (): string => {
  const doc = readFileSync(new URL("../../docs/forecasts.md", import.meta.url), "utf8")
  const block = /```json\n([\s\S]*?)\n```/.exec(doc)
  if (block === null) throw new Error("test bug: docs/forecasts.md has no JSON example")
  return block[1]!
}

const FORECAST_KEYS = ["best_windows", "forecasts", "unavailable_forecasts"]

describe("a reader of the old format", () => {
  it("accepts the documented example with forecasts, which is also exactly what the writer's schema allows", () => {
    const example = documentedExample()
    const old = decodeOld(example)
    assert.strictEqual(old.best_region, "FR")
    const full = decodeNew(example)
    for (const key of FORECAST_KEYS) assert.isTrue(key in full, key)
  })

  it.effect("accepts a file the service wrote with forecasts on", () =>
    Effect.gen(function*() {
      const h = makeHarness({
        api: {
          intensities: { DE: 380, FR: 40 },
          forecasts: {
            DE: forecastBody("DE", "2024-03-06T10:00:00Z", [300, 200, 100]),
            FR: forecastBody("FR", "2024-03-06T10:00:00Z", [90, 80, 70])
          }
        },
        settings: { zones: ["DE", "FR"], forecastWindowsMinutes: [60] }
      })
      yield* TestClock.setTime(at("2024-03-06T10:00:00Z"))
      yield* h.run(pollOnceAndExit)
      const text = h.memory.read("/cache/carbon_cache.json")!
      for (const key of FORECAST_KEYS) assert.include(text, `"${key}"`)
      assert.deepStrictEqual(decodeOld(text).sorted_by_carbon, ["FR", "DE"])
    }))

  it("the published JSON Schema keeps the old required keys and lets the top level grow", () => {
    const schema = JSON.parse(renderCacheSchema()) as {
      $defs: Record<string, { required: Array<string>; additionalProperties: boolean; properties: object }>
    }
    const top = schema.$defs["CarbonCache"]!
    assert.isTrue(top.additionalProperties)
    assert.deepStrictEqual(top.required, CONTRACT_KEYS)
    for (const key of FORECAST_KEYS) assert.isTrue(key in top.properties, key)
  })
})
