/**
 * The compiled service as a process, against the simulator: start, first cache, SIGTERM, exit 0
 * within 2 s with no temporary file left; plus the exit codes a supervisor sees.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { afterAll, beforeAll } from "vitest"
import * as Simulator from "../../src/simulator/Simulator.js"
import { spawnService, waitForFile } from "../support/processes.js"

const KEY = "process-test-key-51f0e2d9"
let simulator: Simulator.RunningSimulator

beforeAll(async () => {
  simulator = await Simulator.startSimulator({ port: 0, seed: 3 })
})
afterAll(async () => {
  await simulator.close()
})

const serviceEnv = (cacheFile: string, extra: Record<string, string> = {}) => ({
  ELECTRICITY_MAPS_API_KEY: KEY,
  ELECTRICITY_MAPS_API_URL: simulator.baseUrl,
  CACHE_FILE: cacheFile,
  POLL_INTERVAL_MINUTES: "0.01",
  HTTP_PORT: "0",
  LOG_FORMAT: "json",
  ...extra
})

/** Preload that has the service report its own SIGTERM-to-exit time (see the file). */
const SHUTDOWN_TIMER = fileURLToPath(new URL("./shutdown-timer.mjs", import.meta.url))

const isShutdownTiming = (u: unknown): u is { readonly code: number; readonly shutdownMillis: number } =>
  typeof u === "object" && u !== null && "code" in u && typeof u.code === "number" && "shutdownMillis" in u &&
  typeof u.shutdownMillis === "number"

const tempCacheFile = () => join(mkdtempSync(join(tmpdir(), "carbon-poller-proc-")), "cache", "carbon_cache.json")

describe("the service process", () => {
  it("writes its first cache, stops on SIGTERM with exit 0 within 2 s, and leaves no temporary file", async () => {
    const cacheFile = tempCacheFile()
    const timingFile = join(cacheFile, "..", "..", "shutdown.json")
    const service = spawnService(
      serviceEnv(cacheFile, {
        NODE_OPTIONS: `--import=${pathToFileURL(SHUTDOWN_TIMER).href}`,
        SHUTDOWN_TIMING_FILE: timingFile
      })
    )
    assert.isTrue(await waitForFile(cacheFile, 15_000), service.stderr())
    service.child.kill("SIGTERM")
    // The outer deadline only catches a service that never stops; the 2 s bound is checked on the
    // service's own clock, from handling the signal to exiting, so that time the test or the child
    // spend waiting for a CPU on a busy machine is not counted against the service.
    assert.strictEqual(
      await service.exited(10_000),
      0,
      `no exit within 10 s of SIGTERM: the signal was ignored\n${service.stderr()}`
    )
    const timing: unknown = JSON.parse(readFileSync(timingFile, "utf8"))
    assert.isTrue(isShutdownTiming(timing), JSON.stringify(timing))
    if (isShutdownTiming(timing)) {
      assert.strictEqual(timing.code, 0)
      assert.isBelow(timing.shutdownMillis, 2_000, "from SIGTERM to exit, as the service measures it")
    }
    assert.deepStrictEqual(readdirSync(join(cacheFile, "..")), ["carbon_cache.json"])
    const cache = JSON.parse(readFileSync(cacheFile, "utf8")) as { sorted_by_carbon: Array<string> }
    assert.strictEqual(cache.sorted_by_carbon.length, 5)
    assert.notInclude(service.stdout() + service.stderr(), KEY)
  })

  it("stops within 2 s even with a request hanging in flight, and sweeps a predecessor's leftovers", async () => {
    const cacheFile = tempCacheFile()
    mkdirSync(join(cacheFile, ".."), { recursive: true })
    writeFileSync(join(cacheFile, "..", ".carbon_cache.json.tmp-killed0001"), "{ half a fi")
    await simulator.resetStats()
    await simulator.addFault({ zone: "US-MIDW-MISO", fault: { kind: "hang" } })
    try {
      const service = spawnService(serviceEnv(cacheFile, { ZONES: "DE,US-MIDW-MISO", REQUEST_TIMEOUT_SECONDS: "60" }))
      // Stop the service in the middle of its first poll, once the hanging request is in flight.
      const inFlight = simulator.handle.awaitStats((s) => (s.byZone["US-MIDW-MISO"] ?? 0) > 0)
      await Effect.runPromise(Effect.timeout(inFlight, "15 seconds"))
      service.child.kill("SIGTERM")
      assert.strictEqual(await service.exited(2_000), 0)
      assert.deepStrictEqual(readdirSync(join(cacheFile, "..")).filter((name) => name.includes(".tmp-")), [])
    } finally {
      await simulator.clearFaults()
    }
  })

  it("--once exits 0 after writing a cache", async () => {
    const cacheFile = tempCacheFile()
    const service = spawnService(serviceEnv(cacheFile, { ZONES: "DE,FR" }), ["--once"])
    assert.strictEqual(await service.exited(15_000), 0, service.stderr())
    const cache = JSON.parse(readFileSync(cacheFile, "utf8")) as { best_region: string }
    assert.include(["DE", "FR"], cache.best_region)
    // JSON lines, each printed once (runMain's pretty logger must not add a second copy).
    const lines = service.stdout().trim().split("\n")
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line)
    assert.strictEqual(lines.filter((line) => line.includes("\"event\":\"poll\"")).length, 1)
  })

  it("exits 2 with one message naming every bad variable, before any request", async () => {
    const before = (await simulator.stats()).total
    const service = spawnService(
      {
        ELECTRICITY_MAPS_API_KEY: KEY,
        ELECTRICITY_MAPS_API_URL: simulator.baseUrl,
        POLL_INTERVAL_MINUTES: "0",
        EMISSION_FACTOR_TYPE: "indirect",
        ZONES: "US/CAL"
      },
      []
    )
    assert.strictEqual(await service.exited(15_000), 2)
    const stderr = service.stderr()
    assert.match(stderr, /invalid configuration \(3 problems\)/)
    assert.match(stderr, /POLL_INTERVAL_MINUTES="0"/)
    assert.match(stderr, /EMISSION_FACTOR_TYPE="indirect"/)
    assert.match(stderr, /ZONES="US\/CAL"/)
    assert.notInclude(stderr + service.stdout(), KEY)
    assert.strictEqual((await simulator.stats()).total, before)
  })

  it("exits 2 for a chain whose links disagree on basis, naming zone, basis asked and basis given, before any request", async () => {
    const before = (await simulator.stats()).total
    const password = "process-test-watttime-password-7e3a"
    const service = spawnService(serviceEnv(tempCacheFile(), {
      ZONES: "DE|watttime:CAISO_NORTH",
      SIGNAL: "average",
      EMISSION_FACTOR_TYPE: "direct",
      WATTTIME_API_URL: simulator.wattTimeUrl,
      WATTTIME_USERNAME: "sim-user",
      WATTTIME_PASSWORD: password
    }))
    assert.strictEqual(await service.exited(15_000), 2, service.stderr())
    const stderr = service.stderr()
    assert.match(stderr, /zone watttime:CAISO_NORTH: WattTime gives marginal, direct values/)
    assert.match(stderr, /the deployment ranks average, direct \(SIGNAL=average, EMISSION_FACTOR_TYPE=direct\)/)
    assert.notMatch(stderr, /zone DE:/)
    assert.notInclude(stderr + service.stdout(), password)
    assert.notInclude(stderr + service.stdout(), KEY)
    assert.strictEqual((await simulator.stats()).total, before)
  })

  it("exits 3 when no configured zone exists", async () => {
    const service = spawnService(serviceEnv(tempCacheFile(), { ZONES: "US-NY-NYISO,US-TEX-ERCOT" }))
    assert.strictEqual(await service.exited(15_000), 3)
    assert.match(service.stderr(), /no configured zone exists[\s\S]*did you mean US-NY-NYIS\?/)
  })
})
