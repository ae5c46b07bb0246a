/**
 * Scenario 3: the upstream is down for several polls (connection refused, then hanging), then
 * back. No crash; the old file is left alone (and expires on its own, as readiness shows); the
 * first poll after recovery writes fresh data.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import type { CacheFile } from "../../src/Domain.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import { baseEnv, freePort, httpGet, pollLines, record, spawnService, stop, tempDir, waitUntil } from "./support.js"

describe("3. upstream down, then back", () => {
  it("keeps the old file through refused connections and hangs, and writes fresh data on recovery", async () => {
    const apiPort = await freePort()
    const httpPort = await freePort()
    let simulator = await Simulator.startSimulator({ port: apiPort, seed: 31 })
    const cacheFile = join(tempDir("down"), "carbon_cache.json")
    const service = spawnService(
      baseEnv(simulator.baseUrl, cacheFile, {
        ZONES: "DE,FR,SE",
        POLL_INTERVAL_MINUTES: "0.005",
        CACHE_TTL_MINUTES: "0.05",
        REQUEST_TIMEOUT_SECONDS: "0.4",
        MAX_RETRIES: "1",
        HTTP_PORT: String(httpPort)
      })
    )
    try {
      expect(await waitUntil(() => pollLines(service).length >= 1, 15_000)).toBe(true)
      const before = readFileSync(cacheFile, "utf8")

      // Connection refused for a few polls.
      await simulator.close()
      const refusedFrom = pollLines(service).length
      expect(await waitUntil(() => pollLines(service).length >= refusedFrom + 3, 20_000)).toBe(true)
      const refusedPolls = pollLines(service).slice(refusedFrom)
      expect(readFileSync(cacheFile, "utf8")).toBe(before)

      // Back on the same port, but hanging every request.
      simulator = await Simulator.startSimulator({ port: apiPort, seed: 31, faults: [{ fault: { kind: "hang" } }] })
      const hangFrom = pollLines(service).length
      expect(await waitUntil(() => pollLines(service).length >= hangFrom + 3, 30_000)).toBe(true)
      const hangPolls = pollLines(service).slice(hangFrom)
      expect(readFileSync(cacheFile, "utf8")).toBe(before)

      // Past the TTL the file is still the old one; readiness says it expired.
      const cache = JSON.parse(before) as CacheFile
      const expiry = Date.parse(`${cache.timestamp}Z`) + cache.ttl_minutes * 60_000
      expect(await waitUntil(() => Date.now() > expiry + 500, 10_000)).toBe(true)
      const expired = await httpGet(httpPort, "/readyz")
      expect(expired.status).toBe(503)
      expect(readFileSync(cacheFile, "utf8")).toBe(before)

      // Recovery: the first full poll writes fresh data, readiness returns.
      await simulator.clearFaults()
      const recoveredFrom = pollLines(service).length
      expect(await waitUntil(() => pollLines(service).slice(recoveredFrom).some((l) => l.annotations["zones_ok"] === 3), 15_000)).toBe(true)
      const after = JSON.parse(readFileSync(cacheFile, "utf8")) as CacheFile
      expect(after.timestamp > cache.timestamp).toBe(true)
      expect(after.sorted_by_carbon.length).toBe(3)
      expect((await httpGet(httpPort, "/readyz")).status).toBe(200)
      const alive = service.child.exitCode === null

      record({
        scenario: "3 upstream down, then back",
        runs: refusedPolls.length + hangPolls.length,
        failures: alive ? 0 : 1,
        figures: `${refusedPolls.length} polls refused, ${hangPolls.length} polls hanging, file untouched, /readyz 503 after expiry, fresh on recovery`
      })
      expect(refusedPolls.every((l) => l.annotations["written"] === false)).toBe(true)
      expect(hangPolls.every((l) => l.annotations["written"] === false)).toBe(true)
      expect(alive).toBe(true)
    } finally {
      expect(await stop(service)).toBe(0)
      await simulator.close()
    }
  })
})
