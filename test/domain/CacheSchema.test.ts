import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { renderCacheSchema, SCHEMA_PATH } from "../../src/tools/writeCacheSchema.js"

describe("the checked-in JSON Schema of the cache file", () => {
  it("is what the writer's Schema generates (run `npm run schema` after changing src/Domain.ts)", () => {
    assert.strictEqual(readFileSync(SCHEMA_PATH, "utf8"), renderCacheSchema())
  })

  it("requires the contract's keys, allows new top-level keys and nothing new inside an entry", () => {
    const schema = JSON.parse(renderCacheSchema()) as {
      $defs: Record<string, { required: Array<string>; additionalProperties: boolean }>
    }
    assert.deepStrictEqual(schema.$defs["CarbonCache"]!.required, [
      "timestamp",
      "ttl_minutes",
      "regions",
      "sorted_by_carbon",
      "best_region",
      "worst_region"
    ])
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
