/**
 * Scenario 7: memory over time. 1,000 fast polls against the simulator with RSS (from the kernel)
 * and V8 heap (from /metrics) sampled: no growth trend after warm-up.
 */
import { join } from "node:path"
import { setTimeout as delay } from "node:timers/promises"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Simulator from "../../src/simulator/Simulator.js"
import { baseEnv, freePort, httpGet, pollLines, record, rssOf, spawnService, stop, tempDir } from "./support.js"

const POLLS = 1_000

let simulator: Simulator.RunningSimulator
beforeAll(async () => {
  simulator = await Simulator.startSimulator({ port: 0, seed: 71 })
})
afterAll(async () => {
  await simulator.close()
})

const mean = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)}`

/**
 * A trend, not noise: the last fifth of the samples against the second fifth (the first fifth is
 * warm-up: JIT, lazy modules, the heap finding its size). The heap is judged by its lows, what is
 * left after each garbage collection, since between collections it holds garbage too.
 */
const growth = (samples: ReadonlyArray<number>, summarize: (window: ReadonlyArray<number>) => number = mean) => {
  const fifth = Math.max(1, Math.floor(samples.length / 5))
  const early = summarize(samples.slice(fifth, 2 * fifth))
  const late = summarize(samples.slice(-fifth))
  return { early, late, ratio: late / early }
}
const lowest = (window: ReadonlyArray<number>) => Math.min(...window)

describe("7. memory over time", () => {
  it(`shows no growth trend over ${POLLS} fast polls`, async () => {
    const port = await freePort()
    const service = spawnService(
      baseEnv(simulator.baseUrl, join(tempDir("memory"), "carbon_cache.json"), {
        ZONES: "US-CAL-CISO,US-TEX-ERCO,US-NY-NYIS,US-MIDA-PJM,US-MIDW-MISO",
        POLL_INTERVAL_MINUTES: "0.0003",
        HTTP_PORT: String(port),
        LOG_LEVEL: "warning",
        // As deployed (k8s.yaml): without a heap ceiling V8 lets garbage pile up long before it
        // collects, which looks like growth and is not.
        NODE_OPTIONS: "--max-old-space-size=64 --max-semi-space-size=1"
      })
    )
    const rss: Array<number> = []
    const heap: Array<number> = []
    try {
      // With LOG_LEVEL=warning there are no poll lines: count polls from the metrics instead.
      let polls = 0
      while (polls < POLLS && service.child.exitCode === null) {
        await delay(250)
        // Until the endpoints are up (start-up, zone check) there is nothing to sample.
        const metrics = await httpGet(port, "/metrics").then((r) => r.body, () => undefined)
        if (metrics === undefined) continue
        rss.push(rssOf(service.child.pid))
        heap.push(Number(/^carbon_poller_process_heap_used_bytes (\S+)/m.exec(metrics)?.[1] ?? Number.NaN))
        polls = Number(/^carbon_poller_polls_total\{outcome="written"\} (\d+)/m.exec(metrics)?.[1] ?? 0)
      }
      const rssTrend = growth(rss)
      const heapTrend = growth(heap.filter(Number.isFinite), lowest)
      const alive = service.child.exitCode === null
      // Allowed: 10% or 5 MiB of drift, whichever is larger.
      const grew = (t: { early: number; late: number }) => t.late > Math.max(t.early * 1.1, t.early + 5 * 2 ** 20)
      record({
        scenario: `7 memory over ${polls} polls`,
        runs: polls,
        failures: Number(grew(rssTrend)) + Number(grew(heapTrend)) + Number(!alive),
        figures: `RSS first ${mib(rss[0] ?? 0)} / last ${mib(rss.at(-1) ?? 0)} / max ${
          mib(Math.max(...rss))
        } MiB (2nd fifth ${mib(rssTrend.early)} → last fifth ${mib(rssTrend.late)}); heap lows ${
          mib(heapTrend.early)
        } → ${mib(heapTrend.late)}, heap first ${mib(heap[0] ?? 0)} / last ${mib(heap.at(-1) ?? 0)} / max ${
          mib(Math.max(...heap.filter(Number.isFinite)))
        } MiB`
      })
      expect(alive).toBe(true)
      expect(polls).toBeGreaterThanOrEqual(POLLS)
      expect(grew(rssTrend)).toBe(false)
      expect(grew(heapTrend)).toBe(false)
      expect(pollLines(service)).toEqual([])
    } finally {
      expect(await stop(service)).toBe(0)
    }
  })
})
