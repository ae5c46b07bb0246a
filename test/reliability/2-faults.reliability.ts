/**
 * Scenario 2: every fault kind of the simulator, alone and mixed, against the real process. The
 * process keeps running; healthy zones are always fresh in the cache; a failed zone stays only
 * within the TTL with its old timestamp; each failure is logged once per poll with zone, reason
 * and the API's message; /readyz, /cache and /metrics agree with the file.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { setTimeout as delay } from "node:timers/promises"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { CacheFile } from "../../src/domain/CacheFile.js"
import { parseCacheTimestamp } from "../../src/domain/Time.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import {
  baseEnv,
  EVERY_FAULT,
  freePort,
  httpGet,
  keepEmitted,
  type LogLine,
  logLines,
  metric,
  pollLines,
  record,
  servedMatchesFile,
  spawnService,
  stop,
  tempDir,
  waitUntil
} from "./support.js"

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
    // Both timestamps are whole seconds, and an entry is kept only while younger than the TTL.
    const age = producedAt - (parseCacheTimestamp(entry.timestamp) ?? Number.NaN)
    if (!(age >= 0 && age < TTL_MILLIS)) problems.push(`${zone} is ${age} ms old in a file with TTL ${TTL_MILLIS} ms`)
  }
  for (const zone of configured) {
    const ranked = zone in cache.regions
    const unavailable = zone in (cache.unavailable ?? {})
    if (ranked === unavailable) {
      problems.push(`${zone} is ${ranked ? "both ranked and unavailable" : "neither ranked nor unavailable"}`)
    }
  }
  const keys = Object.keys(cache.regions).sort()
  if (JSON.stringify([...cache.sorted_by_carbon].sort()) !== JSON.stringify(keys)) {
    problems.push("ranking and regions differ")
  }
  if (cache.best_region !== cache.sorted_by_carbon[0] || cache.worst_region !== cache.sorted_by_carbon.at(-1)) {
    problems.push("best/worst differ from the ranking")
  }
  return problems
}

/** The zones a summary line names as failed: `... 1 failed (US-TEX-ERCO: Timeout, DE: NoData); ...`. */
const failedZonesOf = (summary: LogLine): Array<string> =>
  (/ failed \(([^)]*)\)/.exec(summary.message)?.[1] ?? "")
    .split(", ")
    .filter((part) => part !== "")
    .map((part) => part.slice(0, part.indexOf(": ")))

/** The zones a warning line is about (zones failing alike share one line). */
const zonesOf = (line: LogLine): ReadonlyArray<string> => String(line.annotations["zone"]).split(",")

/**
 * "Each failure is logged once per poll": the warning lines of a poll come before its summary
 * line, so between two summary lines there must be exactly one warning per zone the summary
 * names as failed, and none for a zone it does not.
 */
const checkFailureLines = (
  lines: ReadonlyArray<LogLine>,
  fromPoll: number,
  said: (zone: string, line: LogLine) => string | undefined
) => {
  const problems: Array<string> = []
  let polls = 0
  let pending: Array<LogLine> = []
  for (const line of lines) {
    if (line.logLevel === "WARN" && typeof line.annotations["zone"] === "string") {
      pending.push(line)
      continue
    }
    if (line.annotations["event"] !== "poll") continue
    polls++
    if (polls > fromPoll) {
      const expected = new Set(failedZonesOf(line))
      const counts = new Map<string, number>()
      // Zones failing alike in one poll share a line; its zone annotation lists them all.
      for (const warning of pending) {
        for (const zone of zonesOf(warning)) counts.set(zone, (counts.get(zone) ?? 0) + 1)
      }
      for (const zone of new Set([...expected, ...counts.keys()])) {
        const count = counts.get(zone) ?? 0
        if (count !== (expected.has(zone) ? 1 : 0)) {
          problems.push(`poll ${polls}: ${count} warning lines for ${zone}, summary "${line.message.slice(0, 120)}"`)
        }
      }
      for (const warning of pending) {
        for (const zone of zonesOf(warning)) {
          if (typeof warning.annotations["reason"] !== "string") {
            problems.push(`poll ${polls}: ${zone} logged without a reason`)
          }
          if (!warning.message.includes(zone)) {
            problems.push(`poll ${polls}: ${zone} line does not name the zone`)
          }
          const missing = said(zone, warning)
          if (missing !== undefined) {
            problems.push(
              `poll ${polls}: ${zone} (${String(warning.annotations["reason"])}) ${missing}: "${
                warning.message.slice(0, 160)
              }"`
            )
          }
        }
      }
    }
    pending = []
  }
  return problems
}

/** /readyz, /cache and /metrics against the file on disk, while the service runs. */
const checkEndpoints = async (port: number, cacheFile: string): Promise<Array<string>> => {
  const problems: Array<string> = []
  // Ready exactly while the file is valid: a file carrying a kept value expires when that value
  // turns TTL-old, which with a 3 s TTL can fall just before the next poll writes. Around the
  // expiry instant itself either answer is right.
  const expiry = Date.parse(readCache(cacheFile).expires_at ?? "")
  const askedAt = Date.now()
  const ready = await httpGet(port, "/readyz")
  const answeredAt = Date.now()
  const valid = answeredAt < expiry - 250 ? true : askedAt > expiry + 250 ? false : undefined
  if (valid !== undefined && (ready.status === 200) !== valid) {
    problems.push(`/readyz ${ready.status} while the file ${valid ? "is valid" : "has expired"}: ${ready.body}`)
  }
  if (!(await servedMatchesFile(port, cacheFile))) problems.push("/cache differs from the file")
  // zones_usable against the ranking of what /cache serves, from one consistent moment: the
  // count of written polls must not move between the two scrapes around it.
  for (let attempt = 0;; attempt++) {
    const before = (await httpGet(port, "/metrics")).body
    const served = JSON.parse((await httpGet(port, "/cache")).body) as CacheFile
    const after = (await httpGet(port, "/metrics")).body
    keepEmitted(before, after)
    const written = (text: string) => metric(text, "carbon_poller_polls_total", { outcome: "written" })
    if (written(before) !== written(after)) {
      if (attempt < 10) continue
      problems.push("/metrics kept moving; could not compare")
      break
    }
    const usable = metric(after, "carbon_poller_zones_usable")
    if (usable !== served.sorted_by_carbon.length) {
      problems.push(`zones_usable ${usable}, file ranks ${served.sorted_by_carbon.length}`)
    }
    const configured = metric(after, "carbon_poller_zones_configured")
    if (configured !== Object.keys(served.regions).length + Object.keys(served.unavailable ?? {}).length) {
      problems.push(
        `zones_configured ${configured} vs ${Object.keys(served.regions).length} ranked + ${
          Object.keys(served.unavailable ?? {}).length
        } unavailable`
      )
    }
    break
  }
  return problems
}

/** Failed fetches per zone and outcome, as the log's warning lines count them. */
const failuresFromLogs = (lines: ReadonlyArray<LogLine>) => {
  const counts = new Map<string, number>()
  for (const line of lines) {
    if (line.logLevel !== "WARN" || typeof line.annotations["zone"] !== "string") continue
    for (const zone of zonesOf(line)) {
      const key = `${zone}/${String(line.annotations["reason"])}`
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
  }
  return counts
}

const kinds: ReadonlyArray<
  {
    readonly name: string
    readonly fault: Simulator.FaultRuleInput["fault"]
    readonly reason: RegExp
    readonly said: RegExp
  }
> = [
  {
    name: "latency over the timeout",
    fault: { kind: "latency", ms: 2_000 },
    reason: /^Timeout$/,
    said: /no complete answer within/
  },
  {
    name: "HTTP 500",
    fault: { kind: "server-error", status: 500 },
    reason: /^ServerError$/,
    said: /Internal server error \(500\)/
  },
  {
    name: "429 Retry-After",
    fault: { kind: "rate-limit-429", retryAfterSeconds: 1 },
    reason: /^RateLimited$/,
    said: /Too many requests/
  },
  { name: "401 rate limit", fault: { kind: "rate-limit-401" }, reason: /^Unauthorized$/, said: /Rate limit exceeded/ },
  { name: "hang", fault: { kind: "hang" }, reason: /^Timeout$/, said: /no complete answer within/ },
  {
    name: "slow body",
    fault: { kind: "slow", chunkBytes: 4, intervalMs: 200 },
    reason: /^Timeout$/,
    said: /no complete answer within/
  },
  // The recorded broken "No recent data" body: the log must carry what the API said, not only
  // that it could not be decoded.
  {
    name: "invalid JSON",
    fault: { kind: "invalid-json", status: 200 },
    reason: /^BadResponse$/,
    said: /No recent data for zone/
  },
  { name: "HTML 502", fault: { kind: "html-502" }, reason: /^ServerError$/, said: /502 Bad Gateway/ },
  {
    name: "carbonIntensity null",
    fault: { kind: "null-intensity" },
    reason: /^NoData$/,
    said: /carbonIntensity is null/
  },
  {
    name: "50 MB body",
    fault: { kind: "huge-body", bytes: 50 * 1024 * 1024 },
    reason: /^BodyTooLarge$/,
    said: /larger than \d+ bytes/
  },
  { name: "endless body", fault: { kind: "endless-body" }, reason: /^BodyTooLarge$/, said: /larger than \d+ bytes/ },
  { name: "no recent data", fault: { kind: "no-recent-data" }, reason: /^NoData$/, said: /No recent data/ }
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
      const broken: Array<string> = []
      try {
        expect(await waitUntil(() => pollLines(service).length >= 1, 15_000)).toBe(true)
        const fresh = readCache(cacheFile)
        await simulator.addFault({ zone: FAILING, fault: kind.fault })
        const pollsBefore = pollLines(service).length

        // Within the TTL: the failed zone is kept with its old timestamp, the others are fresh.
        let keptSeen = false
        let droppedSeen = false
        let checks = 0
        const problems = new Set<string>()
        await waitUntil(
          async () => {
            const cache = readCache(cacheFile)
            checks++
            for (const problem of checkFile(cache, ZONES)) problems.add(problem)
            const entry = cache.regions[FAILING]
            if (
              entry !== undefined && entry.timestamp !== cache.timestamp &&
              entry.timestamp === fresh.regions[FAILING]?.timestamp
            ) keptSeen = true
            if (entry === undefined && kind.reason.test(cache.unavailable?.[FAILING]?.reason ?? "")) droppedSeen = true
            for (const zone of ZONES.filter((z) => z !== FAILING)) {
              if (!(zone in cache.regions)) problems.add(`healthy ${zone} missing`)
            }
            return keptSeen && droppedSeen
          },
          TTL_MILLIS + 8_000,
          50
        )
        broken.push(...problems)
        if (!keptSeen) broken.push("never saw the zone kept with its old timestamp")
        if (!droppedSeen) broken.push(`never saw the zone dropped as ${String(kind.reason)}`)

        broken.push(...(await checkEndpoints(port, cacheFile)))
        const pollsAfter = pollLines(service).slice(pollsBefore)
        const failedPolls = pollsAfter.filter((l) => failedZonesOf(l).includes(FAILING)).length
        // /metrics is rendered at most once a second: a scrape that late is newer than those lines.
        await delay(1_100)
        const metrics = (await httpGet(port, "/metrics")).body
        keepEmitted(metrics)
        const usable = metric(metrics, "carbon_poller_zones_usable")
        if (usable !== ZONES.length - 1) broken.push(`zones_usable ${usable} once the zone was dropped`)
        const reasonCounted = [
          ...(metrics.matchAll(
            new RegExp(`^carbon_poller_fetches_total\\{[^}]*zone="${FAILING}"[^}]*\\} (\\S+)`, "gm")
          ))
        ]
        const failedFetchesCounted = reasonCounted.map((m) => m[0]).filter((l) => !l.includes("outcome=\"ok\"")).reduce(
          (n, l) => n + Number(l.split(" ").at(-1)),
          0
        )
        if (failedFetchesCounted < failedPolls) {
          broken.push(`fetches_total counts ${failedFetchesCounted} failures of ${FAILING}, the log ${failedPolls}`)
        }

        // One failure line per poll for the failing zone, each with zone, reason and the message.
        broken.push(
          ...checkFailureLines(logLines(service), pollsBefore, (zone, line) => {
            if (zone !== FAILING) return "failed although healthy"
            if (!kind.reason.test(String(line.annotations["reason"]))) return `reason is not ${String(kind.reason)}`
            return kind.said.test(line.message) ? undefined : `message lacks ${String(kind.said)}`
          })
        )
        if (failedPolls < 2) broken.push(`only ${failedPolls} failed polls seen`)
        const alive = service.child.exitCode === null
        if (!alive) broken.push(`process exited ${service.child.exitCode}`)

        record({
          scenario: `2 fault: ${kind.name}`,
          runs: pollsAfter.length,
          failures: broken.length,
          figures:
            `${checks} file checks; kept ${keptSeen}, dropped ${droppedSeen}; ${failedPolls} failed polls, 1 line each${
              broken.length > 0 ? `; BROKE: ${broken.slice(0, 2).join(" | ")}` : ""
            }`
        })
        expect(broken).toEqual([])
      } finally {
        expect(await stop(service, cacheFile)).toBe(0)
        await simulator.clearFaults()
      }
    })
  }

  it("mixed: every fault kind at random, 30% of zone fetches failing, for 50 polls", async () => {
    const zones = ["DE", "FR", "GB", "SE", "PL", "ES", "NL", "BE", "AT", "CH"]
    // Every kind but plain latency, which fails nothing by itself at these timeouts.
    const mixed = EVERY_FAULT.filter((fault) => fault.kind !== "latency")
    // The simulator draws the rules in order and the first that fires answers: with p each,
    // 1 - (1 - p)^n of the requests fail.
    const p = 1 - Math.pow(0.7, 1 / mixed.length)
    await simulator.setFaults(mixed.map((fault) => ({ fault, when: { probability: p } })))
    const cacheFile = join(tempDir("mixed"), "carbon_cache.json")
    const port = await freePort()
    const service = spawnService(
      baseEnv(simulator.baseUrl, cacheFile, {
        ZONES: zones.join(","),
        POLL_INTERVAL_MINUTES: "0.004",
        CACHE_TTL_MINUTES: String(TTL_MINUTES),
        REQUEST_TIMEOUT_SECONDS: "0.5",
        MAX_RETRIES: "0",
        HTTP_PORT: String(port)
      })
    )
    const problems = new Set<string>()
    let reads = 0
    let endpointChecks = 0
    try {
      await waitUntil(
        async () => {
          try {
            for (const problem of checkFile(readCache(cacheFile), zones)) problems.add(problem)
            reads++
          } catch {
            return false // before the first write
          }
          if (reads % 25 === 0) {
            endpointChecks++
            for (const problem of await checkEndpoints(port, cacheFile)) problems.add(problem)
          }
          return pollLines(service).length >= 50
        },
        180_000,
        40
      )
      const linesBefore = logLines(service)
      // /metrics is rendered at most once a second: wait that long, so the scrape is newer than
      // the log lines counted before it.
      await delay(1_100)
      const metrics = (await httpGet(port, "/metrics")).body
      const linesAfter = logLines(service)
      keepEmitted(metrics)
      const polls = pollLines(service)
      const failed = polls.reduce((n, l) => n + Number(l.annotations["zones_failed"] ?? 0), 0)
      const broken = [...problems]
      broken.push(...checkFailureLines(linesAfter, 0, (zone) => (zones.includes(zone) ? undefined : "not configured")))

      // The metrics count what the log says, give or take the poll in flight during the scrape.
      const reasonsSeen = new Set<string>()
      const before = failuresFromLogs(linesBefore)
      const after = failuresFromLogs(linesAfter)
      for (const [key, logged] of after) {
        const [zone = "", reason = ""] = key.split("/")
        reasonsSeen.add(reason)
        const counted = metric(metrics, "carbon_poller_fetches_total", { zone, outcome: reason }) ?? 0
        if (counted < (before.get(key) ?? 0) - 1 || counted > logged + 1) {
          broken.push(`fetches_total{${zone},${reason}} ${counted}, log ${before.get(key) ?? 0}..${logged}`)
        }
      }
      const alive = service.child.exitCode === null
      if (!alive) broken.push(`process exited ${service.child.exitCode}`)
      if (polls.length < 50) broken.push(`only ${polls.length} polls`)
      const share = failed / Math.max(1, polls.length * zones.length)
      record({
        scenario: "2 mixed: 11 fault kinds at random, 50 polls",
        runs: polls.length,
        failures: broken.length,
        figures: `${failed}/${polls.length * zones.length} zone fetches failed (${
          (100 * share).toFixed(0)
        }%), reasons ${[...reasonsSeen].sort().join(",")}; ${reads} file checks, ${endpointChecks} endpoint checks${
          broken.length > 0 ? `; BROKE: ${broken.slice(0, 2).join(" | ")}` : ""
        }`
      })
      expect(broken).toEqual([])
      expect(share).toBeGreaterThan(0.15)
      expect(share).toBeLessThan(0.45)
    } finally {
      expect(await stop(service, cacheFile)).toBe(0)
      await simulator.clearFaults()
    }
  })
})
