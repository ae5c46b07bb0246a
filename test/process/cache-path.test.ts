/**
 * A CACHE_FILE the service could never write stops it at start with exit 2 and a message naming
 * CACHE_FILE, the reason and what to set, before any request: not a failure at every write.
 */
import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import * as Simulator from "../../src/simulator/Simulator.js"
import { spawnService } from "../support/processes.js"

let simulator: Simulator.RunningSimulator
beforeAll(async () => {
  simulator = await Simulator.startSimulator({ port: 0, seed: 8 })
})
afterAll(async () => {
  await simulator.close()
})

const env = (cacheFile: string) => ({
  ELECTRICITY_MAPS_API_KEY: "cache-path-test-key",
  ELECTRICITY_MAPS_API_URL: simulator.baseUrl,
  CACHE_FILE: cacheFile,
  ZONES: "DE",
  HTTP_PORT: "0",
  LOG_FORMAT: "json"
})

describe("a CACHE_FILE that could never be written", () => {
  const dir = mkdtempSync(join(tmpdir(), "carbon-poller-path-"))
  writeFileSync(join(dir, "plain-file"), "")
  const cases: ReadonlyArray<[string, string, RegExp]> = [
    ["a name too long for its temporary file", join(dir, `${"n".repeat(245)}.json`), /over the 255-byte limit/],
    ["a directory below a regular file", join(dir, "plain-file", "cache", "c.json"), /can never be created/]
  ]
  for (const [what, cacheFile, reason] of cases) {
    it(`is refused at start with exit 2: ${what}`, async () => {
      const before = (await simulator.stats()).total
      const service = spawnService(env(cacheFile))
      assert.strictEqual(await service.exited(15_000), 2, service.stderr())
      assert.match(service.stderr(), /invalid configuration \(1 problem\)/)
      assert.match(service.stderr(), /CACHE_FILE="/)
      assert.match(service.stderr(), reason)
      assert.strictEqual((await simulator.stats()).total, before)
    })
  }
})
