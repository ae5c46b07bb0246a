/**
 * `npm run schema`: writes the JSON Schema of the cache file, generated from the same `Schema`
 * the writer encodes with, to src/carbon-cache.schema.json for consumers (the Go scheduler,
 * anyone reading /cache). A test fails when the checked-in file drifts from the code.
 */
import { JSONSchema } from "effect"
import { writeFileSync } from "node:fs"
import { CacheFile } from "../domain/CacheFile.js"

export const SCHEMA_PATH = "src/carbon-cache.schema.json"

/**
 * The cache format allows new top-level keys (documented in docs/cache-format.md) but nothing new inside an
 * entry, so only the top level accepts unknown properties: a reader validating with an older copy
 * of this file keeps working when a key is added.
 */
export const renderCacheSchema = (): string => {
  const schema = JSONSchema.make(CacheFile)
  const topLevel = schema.$defs?.["CarbonCache"]
  // Spreading keeps every key where it was, so only the flag changes in the rendered file.
  const opened = topLevel === undefined
    ? schema
    : { ...schema, $defs: { ...schema.$defs, CarbonCache: { ...topLevel, additionalProperties: true } } }
  return `${JSON.stringify(opened, null, 2)}\n`
}

if (process.argv[1]?.endsWith("writeCacheSchema.ts")) {
  writeFileSync(SCHEMA_PATH, renderCacheSchema())
  console.log(`wrote ${SCHEMA_PATH}`)
}
