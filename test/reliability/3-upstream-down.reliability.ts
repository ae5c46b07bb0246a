/**
 * Scenario 3: the upstream is down for several polls (connection refused, then hanging), then
 * back. No crash; the old file is left alone (and expires on its own, as readiness shows); the
 * service stays alive for its liveness probe; the log says what went wrong; the first poll after
 * recovery writes fresh data.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import type { CacheFile } from "../../src/domain/CacheFile.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import {
  baseEnv,
  freePort,
  httpGet,
  keepEmitted,
  logLines,
  pollLines,
  record,
  spawnService,
  stop,
  tempDir,
  waitUntil
} from "./support.js"

const ZONES = ["DE", "FR", "SE"]

describe("3. upstream down, then back", () => {
  it("keeps the old file through refused connections and hangs, and writes fresh data on recovery", async () => {
    const apiPort = await freePort()
    const httpPort = await freePort()
    let simulator = await Simulator.startSimulator({ port: apiPort, seed: 31 })
    const cacheFile = join(tempDir("down"), "carbon_cache.json")
    const service = spawnService(
      baseEnv(simulator.baseUrl, cacheFile, {
        ZONES: ZONES.join(","),
        POLL_INTERVAL_MINUTES: "0.005",
        CACHE_TTL_MINUTES: "0.05",
        REQUEST_TIMEOUT_SECONDS: "0.4",
        MAX_RETRIES: "1",
        HTTP_PORT: String(httpPort)
      })
    )
    const broken: Array<string> = []
    const check = (ok: boolean, what: string) => {
      if (!ok) broken.push(what)
    }
    const warningsSince = (from: number) =>
      logLines(service).slice(from).filter((l) => l.logLevel === "WARN" && typeof l.annotations["zone"] === "string")
    let refusedPolls = 0
    let hangPolls = 0
    let recoveryMillis = Number.NaN
    try {
      expect(await waitUntil(() => pollLines(service).length >= 1, 15_000)).toBe(true)
      const before = readFileSync(cacheFile, "utf8")

      // Connection refused for a few polls.
      await simulator.close()
      const refusedFrom = pollLines(service).length
      const refusedLinesFrom = logLines(service).length
      check(
        await waitUntil(() => pollLines(service).length >= refusedFrom + 3, 20_000),
        "fewer than 3 polls while refused"
      )
      const refused = pollLines(service).slice(refusedFrom)
      refusedPolls = refused.length
      check(readFileSync(cacheFile, "utf8") === before, "file changed while the API refused connections")
      check(refused.every((l) => l.annotations["written"] === false), "a poll wrote while the API refused connections")
      const healthWhileRefused = await httpGet(httpPort, "/healthz")
      check(
        healthWhileRefused.status === 200,
        `/healthz ${healthWhileRefused.status} while the API refused connections`
      )
      // An operator must be told the connection was refused, not only that a fetch failed.
      const refusedWarnings = warningsSince(refusedLinesFrom)
      check(
        refusedWarnings.length > 0 && refusedWarnings.every((l) => l.annotations["reason"] === "Transport"),
        "refused connections not logged as Transport"
      )
      check(
        refusedWarnings.every((l) => /ECONNREFUSED|connection refused/i.test(l.message)),
        `the log does not say the connection was refused: "${refusedWarnings[0]?.message ?? ""}"`
      )

      // Back on the same port, but hanging every request.
      simulator = await Simulator.startSimulator({
        port: apiPort,
        seed: 31,
        faults: [{ fault: { kind: "hang" }, endpoint: "any" }]
      })
      const hangFrom = pollLines(service).length
      const hangLinesFrom = logLines(service).length
      check(
        await waitUntil(() => pollLines(service).length >= hangFrom + 3, 30_000),
        "fewer than 3 polls while hanging"
      )
      const hanging = pollLines(service).slice(hangFrom)
      hangPolls = hanging.length
      check(readFileSync(cacheFile, "utf8") === before, "file changed while the API hung")
      check(hanging.every((l) => l.annotations["written"] === false), "a poll wrote while the API hung")
      check(
        hanging.every((l) => Number(l.annotations["duration_ms"]) < 3_000),
        `a poll took ${Math.max(...hanging.map((l) => Number(l.annotations["duration_ms"])))} ms while hanging`
      )
      check(
        warningsSince(hangLinesFrom).every((l) => l.annotations["reason"] === "Timeout"),
        "hangs not logged as Timeout"
      )
      const healthWhileHanging = await httpGet(httpPort, "/healthz")
      check(healthWhileHanging.status === 200, `/healthz ${healthWhileHanging.status} while the API hung`)

      // Past the TTL the file is still the old one; readiness says it expired.
      const cache = JSON.parse(before) as CacheFile
      const expiry = Date.parse(`${cache.timestamp}Z`) + cache.ttl_minutes * 60_000
      await waitUntil(() => Date.now() > expiry + 500, 10_000)
      const expired = await httpGet(httpPort, "/readyz")
      check(expired.status === 503, `/readyz ${expired.status} after the file expired`)
      check(readFileSync(cacheFile, "utf8") === before, "file changed after expiry with the API down")
      const served = await httpGet(httpPort, "/cache")
      keepEmitted(served.body)
      check(served.body === before, "/cache no longer serves the last file written")
      check(
        /max-age=0/.test(String((await fetch(`http://127.0.0.1:${httpPort}/cache`)).headers.get("cache-control"))),
        "/cache not max-age=0 after expiry"
      )

      // Recovery: the first poll that starts after the API is back writes fresh data.
      await simulator.clearFaults()
      const recoveredAt = Date.now()
      const recoveredFrom = pollLines(service).length
      // The poll in flight when the faults were cleared may still time out; the next must not.
      check(await waitUntil(() => pollLines(service).length >= recoveredFrom + 2, 15_000), "no poll after recovery")
      const firstFull = pollLines(service).slice(recoveredFrom).findIndex((l) =>
        l.annotations["zones_ok"] === ZONES.length
      )
      check(firstFull === 0 || firstFull === 1, `first full poll after recovery is number ${firstFull + 1}`)
      await waitUntil(
        () => (JSON.parse(readFileSync(cacheFile, "utf8")) as CacheFile).timestamp > cache.timestamp,
        5_000
      )
      recoveryMillis = Date.now() - recoveredAt
      const after = JSON.parse(readFileSync(cacheFile, "utf8")) as CacheFile
      check(after.timestamp > cache.timestamp, "no fresh file after recovery")
      check(after.sorted_by_carbon.length === ZONES.length, `${after.sorted_by_carbon.length} zones after recovery`)
      check(
        Object.values(after.regions).every((e) => e.timestamp === after.timestamp),
        "stale entries in the first file after recovery"
      )
      check((await httpGet(httpPort, "/readyz")).status === 200, "/readyz not 200 after recovery")
      check(service.child.exitCode === null, `process exited ${service.child.exitCode}`)
    } finally {
      record({
        scenario: "3 upstream down, then back",
        runs: refusedPolls + hangPolls,
        failures: broken.length,
        figures:
          `${refusedPolls} polls refused, ${hangPolls} hanging: file untouched, /healthz 200, /readyz 503 after expiry; fresh file ${recoveryMillis} ms after recovery${
            broken.length > 0 ? `; BROKE: ${broken.join(" | ")}` : ""
          }`
      })
      expect(await stop(service, cacheFile)).toBe(0)
      await simulator.close()
    }
    expect(broken).toEqual([])
  })
})
