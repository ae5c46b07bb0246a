/**
 * Scenario 9: the HTTP endpoints under a flood. 3,000 concurrent clients hammer /metrics for a few
 * seconds (the deployed NODE_OPTIONS, as in k8s.yaml) while the service polls every 0.6 s: polls
 * must keep starting on time, memory must stay under the pod's limit, and /healthz must answer as
 * soon as the flood stops (during it, probes from the flooding address itself compete with the
 * flood: at the bound its fresh connections are refused unread; scenario 11 probes from another
 * address). The endpoints bound connections and request time and render /metrics at most once a
 * second, so a flood costs a bounded amount of CPU and memory.
 */
import { request } from "node:http"
import { join } from "node:path"
import { setTimeout as delay } from "node:timers/promises"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Simulator from "../../src/simulator/Simulator.js"
import { baseEnv, freePort, logLines, record, rssOf, spawnService, stop, tempDir, waitUntil } from "./support.js"

const CLIENTS = 3_000
const LOAD_MILLIS = 8_000
const POLL_INTERVAL_MINUTES = 0.01
/** The pod's memory limit in k8s.yaml. */
const MEMORY_LIMIT_BYTES = 192 * 2 ** 20

let simulator: Simulator.RunningSimulator
beforeAll(async () => {
  simulator = await Simulator.startSimulator({ port: 0, seed: 91 })
})
afterAll(async () => {
  await simulator.close()
})

/** One GET on a fresh connection; resolves with the status, or the error's code, within `timeoutMillis`. */
const get = (port: number, path: string, timeoutMillis: number): Promise<number | string> =>
  new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, timeout: timeoutMillis }, (response) => {
      response.resume()
      response.on("end", () => resolve(response.statusCode ?? 0))
      response.on("error", () => resolve("aborted"))
    })
    req.on("timeout", () => {
      req.destroy()
      resolve("timeout")
    })
    req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"))
    req.end()
  })

describe("9. the endpoints under a flood of clients", () => {
  it(`keeps polling and answering /healthz while ${CLIENTS} clients hammer /metrics`, async () => {
    const port = await freePort()
    const service = spawnService(
      baseEnv(simulator.baseUrl, join(tempDir("load"), "carbon_cache.json"), {
        ZONES: "US-CAL-CISO,US-TEX-ERCO,US-NY-NYIS,US-MIDA-PJM,US-MIDW-MISO",
        POLL_INTERVAL_MINUTES: String(POLL_INTERVAL_MINUTES),
        HTTP_PORT: String(port),
        NODE_OPTIONS: "--max-old-space-size=64 --max-semi-space-size=1"
      })
    )
    try {
      expect(await waitUntil(async () => (await get(port, "/readyz", 1_000)) === 200, 15_000)).toBe(true)
      const loadStartedAt = Date.now()
      const deadline = performance.now() + LOAD_MILLIS
      const outcomes = new Map<string, number>()
      let requests = 0
      const client = async () => {
        while (performance.now() < deadline) {
          const outcome = String(await get(port, "/metrics", 5_000))
          requests++
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
        }
      }
      const probes: Array<number | string> = []
      const probe = async () => {
        while (performance.now() < deadline) {
          probes.push(await get(port, "/healthz", 2_000))
          await delay(500)
        }
      }
      let peakRss = 0
      const sampler = async () => {
        while (performance.now() < deadline) {
          peakRss = Math.max(peakRss, rssOf(service.child.pid))
          await delay(100)
        }
      }
      await Promise.all([...Array.from({ length: CLIENTS }, client), probe(), sampler()])
      const loadEndedAt = Date.now()
      // Once the flood stops, probes are answered at once.
      const afterFlood = await get(port, "/healthz", 1_000)
      await delay(2_000)

      const pollStarts = logLines(service)
        .filter((line) => line.annotations["event"] === "poll")
        .map((line) =>
          Date.parse(String((line as unknown as { timestamp: string }).timestamp)) -
          Number(line.annotations["duration_ms"] ?? 0)
        )
        .filter((at) => at >= loadStartedAt - 1_000 && at <= loadEndedAt + 1_000)
      const gaps = pollStarts.slice(1).map((at, i) => at - pollStarts[i]!)
      const maxGap = Math.max(0, ...gaps)
      const healthzOk = probes.filter((p) => p === 200).length
      const problems: Array<string> = []
      const intervalMillis = POLL_INTERVAL_MINUTES * 60_000
      if (pollStarts.length < (LOAD_MILLIS / intervalMillis) * 0.5) {
        problems.push(`only ${pollStarts.length} polls during the load`)
      }
      if (maxGap > intervalMillis + 2_000) problems.push(`polling stalled for ${maxGap} ms`)
      // During the flood a probe competes with 3,000 clients for the bounded connection slots and
      // may be refused (the kubelet tolerates failureThreshold misses); after it, it must answer.
      if (afterFlood !== 200) problems.push(`/healthz answered ${afterFlood} right after the flood`)
      if (peakRss > MEMORY_LIMIT_BYTES) problems.push(`RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB over the pod limit`)
      record({
        scenario: "9 endpoints under a flood",
        runs: 1,
        failures: problems.length,
        figures: `${CLIENTS} clients, ${requests} /metrics requests in ${LOAD_MILLIS / 1000} s (${
          [...outcomes.entries()].map(([k, v]) => `${k}: ${v}`).join(", ")
        }); ${pollStarts.length} polls, longest gap between poll starts ${maxGap} ms (interval ${intervalMillis} ms); /healthz ${healthzOk}/${probes.length} probes answered within 2 s during the flood, ${afterFlood} right after; peak RSS ${
          (peakRss / 2 ** 20).toFixed(0)
        } MiB (limit 192)${problems.length > 0 ? `; BROKE: ${problems.join(" | ")}` : ""}`
      })
      expect(problems).toEqual([])
    } finally {
      expect(await stop(service)).toBe(0)
    }
  })
})
