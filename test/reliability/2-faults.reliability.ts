/**
 * Scenario 2: every fault kind of the simulator, alone and mixed, against the real process. The
 * process keeps running; healthy zones are always fresh in the cache; a failed zone stays only
 * within the TTL with its old timestamp; each failure is logged once per poll with zone, reason
 * and the API's message; /readyz, /cache and /metrics agree with the file.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { CacheFile } from "../../src/Domain.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import { parseCacheTimestamp } from "../../src/Timestamps.js"
import { baseEnv, freePort, httpGet, logLines, pollLines, record, spawnService, stop, tempDir, waitUntil } from "./support.js"

const ZONES = ["US-CAL-CISO", "US-TEX-ERCO", "US-NY-NYIS", "US-MIDA-PJM", "US-MIDW-MISO"]
const FAILING = "US-TEX-ERCO"
const TTL_MINUTES = 0.05 // 3 s: long enough to see a zone kept, short enough to see it dropped
const TTL_MILLIS = TTL_MINUTES * 60_000

let simulator: Simulator.RunningSimulator
beforeAll(async () => {
  simulator = await Simulator.startSimulator({ port: 0, seed: 21 })
})
afterAll(async () => {
  await simulator.close()
})

const readCache = (file: string): CacheFile => JSON.parse(readFileSync(file, "utf8")) as CacheFile

/** The invariants every file must keep, whatever failed. */
const checkFile = (cache: CacheFile, configured: ReadonlyArray<string>): Array<string> => {
  const problems: Array<string> = []
  const producedAt = parseCacheTimestamp(cache.timestamp) ?? Number.NaN
  for (const [zone, entry] of Object.entries(cache.regions)) {
    const age = producedAt - (parseCacheTimestamp(entry.timestamp) ?? Number.NaN)
    if (!(age >= 0 && age < TTL_MILLIS + 1000)) problems.push(`${zone} is ${age} ms old in a file with TTL ${TTL_MILLIS} ms`)
  }
  for (const zone of configured) {
    if (!(zone in cache.regions) && !(zone in (cache.unavailable ?? {}))) problems.push(`${zone} neither ranked nor unavailable`)
  }
  if (cache.sorted_by_carbon.length !== Object.keys(cache.regions).length) problems.push("ranking and regions differ")
  return problems
}

const kinds: ReadonlyArray<{ readonly name: string; readonly fault: Simulator.FaultRuleInput["fault"]; readonly reason: RegExp; readonly said?: RegExp }> = [
  { name: "latency over the timeout", fault: { kind: "latency", ms: 2_000 }, reason: /Timeout/ },
  { name: "HTTP 500", fault: { kind: "server-error", status: 500 }, reason: /ServerError/, said: /Internal server error/ },
  { name: "429 Retry-After", fault: { kind: "rate-limit-429", retryAfterSeconds: 1 }, reason: /RateLimited/ },
  { name: "401 rate limit", fault: { kind: "rate-limit-401" }, reason: /Unauthorized/, said: /Rate limit exceeded/ },
  { name: "hang", fault: { kind: "hang" }, reason: /Timeout/ },
  { name: "slow body", fault: { kind: "slow", chunkBytes: 4, intervalMs: 200 }, reason: /Timeout/ },
  { name: "invalid JSON", fault: { kind: "invalid-json", status: 200 }, reason: /BadResponse/ },
  { name: "HTML 502", fault: { kind: "html-502" }, reason: /ServerError/, said: /502 Bad Gateway/ },
  { name: "carbonIntensity null", fault: { kind: "null-intensity" }, reason: /NoData/ },
  { name: "50 MB body", fault: { kind: "huge-body", bytes: 50 * 1024 * 1024 }, reason: /BodyTooLarge/ },
  { name: "endless body", fault: { kind: "endless-body" }, reason: /BodyTooLarge/ },
  { name: "no recent data", fault: { kind: "no-recent-data" }, reason: /NoData/, said: /No recent data/ }
]

describe("2. every fault kind of the simulator", () => {
  for (const kind of kinds) {
    it(`${kind.name}: fails only ${FAILING}, kept within the TTL then dropped, logged once per poll`, async () => {
      await simulator.clearFaults()
      const cacheFile = join(tempDir("fault"), "carbon_cache.json")
      const port = await freePort()
      const service = spawnService(
        baseEnv(simulator.baseUrl, cacheFile, {
          ZONES: ZONES.join(","),
          POLL_INTERVAL_MINUTES: "0.01",
          CACHE_TTL_MINUTES: String(TTL_MINUTES),
          REQUEST_TIMEOUT_SECONDS: "0.5",
          MAX_RETRIES: "1",
          HTTP_PORT: String(port)
        })
      )
      const problems: Array<string> = []
      try {
        expect(await waitUntil(() => pollLines(service).length >= 1, 15_000)).toBe(true)
        const fresh = readCache(cacheFile)
        await simulator.addFault({ zone: FAILING, fault: kind.fault })
        const pollsBefore = pollLines(service).length

        // Within the TTL: the failed zone is kept with its old timestamp, the others are fresh.
        let keptSeen = false
        let droppedSeen = false
        await waitUntil(async () => {
          const cache = readCache(cacheFile)
          problems.push(...checkFile(cache, ZONES))
          const entry = cache.regions[FAILING]
          if (entry !== undefined && entry.timestamp !== cache.timestamp && entry.timestamp === fresh.regions[FAILING]?.timestamp) keptSeen = true
          if (entry === undefined && kind.reason.test(cache.unavailable?.[FAILING]?.reason ?? "")) droppedSeen = true
          for (const zone of ZONES.filter((z) => z !== FAILING)) {
            if (!(zone in cache.regions)) problems.push(`healthy ${zone} missing`)
          }
          return keptSeen && droppedSeen
        }, TTL_MILLIS + 8_000, 50)

        // Readiness, /cache and /metrics agree with the file.
        const ready = await httpGet(port, "/readyz")
        const served = await httpGet(port, "/cache")
        const onDisk = readFileSync(cacheFile, "utf8")
        const metrics = await httpGet(port, "/metrics")
        const usable = Number(/^carbon_poller_zones_usable (\d+)/m.exec(metrics.body)?.[1])
        const consistent = served.body === onDisk || served.body === readFileSync(cacheFile, "utf8")

        // One failure line per poll for the failing zone, each with zone, reason and message.
        const pollsAfter = pollLines(service).slice(pollsBefore)
        const failurePolls = pollsAfter.filter((l) => l.message.includes(`${FAILING}: `)).length
        const failureLines = logLines(service).filter((l) => l.logLevel === "WARN" && l.annotations["zone"] === FAILING)
        const alive = service.child.exitCode === null

        record({
          scenario: `2 fault: ${kind.name}`,
          runs: pollsAfter.length,
          failures: problems.length + (keptSeen ? 0 : 1) + (droppedSeen ? 0 : 1) + (alive ? 0 : 1),
          figures: `kept ${keptSeen}, dropped ${droppedSeen}, ${failureLines.length} failure lines / ${failurePolls} failed polls`
        })
        expect(problems).toEqual([])
        expect(alive).toBe(true)
        expect(keptSeen).toBe(true)
        expect(droppedSeen).toBe(true)
        expect(ready.status).toBe(200)
        expect(consistent).toBe(true)
        expect(usable).toBe(ZONES.length - 1)
        expect(Math.abs(failureLines.length - failurePolls)).toBeLessThanOrEqual(1)
        expect(failurePolls).toBeGreaterThanOrEqual(2)
        for (const line of failureLines) {
          expect(line.annotations["reason"]).toMatch(kind.reason)
          if (kind.said) expect(line.message).toMatch(kind.said)
        }
      } finally {
        expect(await stop(service)).toBe(0)
        await simulator.clearFaults()
      }
    })
  }

  it("mixed: 30% of requests failing at random for 50 polls", async () => {
    const zones = ["DE", "FR", "GB", "SE", "PL", "ES", "NL", "BE", "AT", "CH"]
    await simulator.clearFaults()
    await simulator.addFault({ fault: { kind: "server-error", status: 500 }, when: { probability: 0.3 } })
    const cacheFile = join(tempDir("mixed"), "carbon_cache.json")
    const service = spawnService(
      baseEnv(simulator.baseUrl, cacheFile, {
        ZONES: zones.join(","),
        POLL_INTERVAL_MINUTES: "0.004",
        CACHE_TTL_MINUTES: String(TTL_MINUTES),
        MAX_RETRIES: "0"
      })
    )
    const problems: Array<string> = []
    let reads = 0
    try {
      await waitUntil(() => {
        try {
          problems.push(...checkFile(readCache(cacheFile), zones))
          reads++
        } catch {
          // before the first write
        }
        return pollLines(service).length >= 50
      }, 120_000, 40)
      const polls = pollLines(service)
      const failed = polls.reduce((n, l) => n + Number(l.annotations["zones_failed"] ?? 0), 0)
      const failureLines = logLines(service).filter((l) => l.logLevel === "WARN" && typeof l.annotations["zone"] === "string").length
      const alive = service.child.exitCode === null
      record({
        scenario: "2 mixed: 30% failing, 50 polls",
        runs: polls.length,
        failures: problems.length + (alive ? 0 : 1) + (failureLines === failed ? 0 : 1),
        figures: `${failed}/${polls.length * zones.length} zone fetches failed (${((100 * failed) / (polls.length * zones.length)).toFixed(0)}%), ${reads} file checks`
      })
      expect(problems).toEqual([])
      expect(alive).toBe(true)
      expect(failureLines).toBe(failed)
      expect(failed).toBeGreaterThan(0)
    } finally {
      expect(await stop(service)).toBe(0)
      await simulator.clearFaults()
    }
  })
})
