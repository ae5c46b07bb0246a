import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { readFileSync } from "node:fs"
import { CacheFile } from "../../src/domain/CacheFile.js"
import { renderCacheSchema, SCHEMA_PATH } from "../../src/tools/writeCacheSchema.js"
import { aCache, aCacheEntry, CONTRACT_KEYS } from "../support/samples.js"

describe("the checked-in JSON Schema of the cache file", () => {
  it("is what the writer's Schema generates (run `npm run schema` after changing src/Domain.ts)", () => {
    assert.strictEqual(readFileSync(SCHEMA_PATH, "utf8"), renderCacheSchema())
  })

  it("requires the contract's keys, allows new top-level keys and nothing new inside an entry", () => {
    const schema = JSON.parse(renderCacheSchema()) as {
      $defs: Record<string, { required: Array<string>; additionalProperties: boolean }>
    }
    assert.deepStrictEqual(schema.$defs["CarbonCache"]!.required, CONTRACT_KEYS)
    assert.isTrue(schema.$defs["CarbonCache"]!.additionalProperties)
    assert.isFalse(schema.$defs["CacheEntry"]!.additionalProperties)
    // `updatedAt` is written whenever the provider says when it produced the value (Electricity
    // Maps always does; the UK Carbon Intensity API never does), so it cannot be required.
    assert.deepStrictEqual(schema.$defs["CacheEntry"]!.required, [
      "zone",
      "carbonIntensity",
      "datetime",
      "emissionFactorType",
      "isEstimated",
      "timestamp"
    ])
  })
})

describe("a zone's reason in `unavailable`", () => {
  const decode = Schema.decodeUnknownSync(Schema.parseJson(CacheFile))
  const encode = Schema.encodeSync(CacheFile)
  const fileWith = (reason: string) =>
    JSON.stringify({
      ...aCache([aCacheEntry("FR", 50)]),
      unavailable: { DE: { reason, message: "said" } }
    })

  it("is read as written when this version knows it", () => {
    assert.deepStrictEqual(decode(fileWith("StaleReading")).unavailable, {
      DE: { reason: "StaleReading", message: "said" }
    })
  })

  it("reads a reason only a newer version writes as Unknown, so the file still decodes", () => {
    const file = decode(fileWith("SomeLaterReason"))
    assert.deepStrictEqual(file.unavailable, { DE: { reason: "Unknown", message: "said" } })
  })

  it("is written as the plain string it is", () => {
    const cache = {
      ...aCache([aCacheEntry("FR", 50)]),
      unavailable: { DE: { reason: "NotInPlan" as const, message: "m" } }
    }
    assert.deepStrictEqual(encode(cache).unavailable, { DE: { reason: "NotInPlan", message: "m" } })
  })
})
