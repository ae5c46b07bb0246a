/**
 * The compiled service as a process: what it refuses at start about CACHE_FILE, that a blocked
 * filesystem call cannot keep it from stopping, and which API version it speaks.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import * as Simulator from "../../src/simulator/Simulator.js"
import { spawnService, waitForFile } from "../support/processes.js"

const KEY = "files-test-key-2b9c41"
let simulator: Simulator.RunningSimulator

beforeAll(async () => {
  simulator = await Simulator.startSimulator({ port: 0, seed: 5 })
})
afterAll(async () => {
  await simulator.close()
})

const dir = () => mkdtempSync(join(tmpdir(), "carbon-poller-files-"))

const env = (cacheFile: string, extra: Record<string, string> = {}) => ({
  ELECTRICITY_MAPS_API_KEY: KEY,
  ELECTRICITY_MAPS_API_URL: simulator.baseUrl,
  CACHE_FILE: cacheFile,
  ZONES: "DE,FR",
  HTTP_PORT: "0",
  LOG_FORMAT: "json",
  ...extra
})

describe("CACHE_FILE must name a regular file or nothing", () => {
  const refused: ReadonlyArray<[string, () => string, RegExp]> = [
    ["a directory", () => dir(), /a directory/],
    ["a device (/dev/null)", () => "/dev/null", /a device/],
    ["a FIFO", () => {
      const path = join(dir(), "fifo")
      execFileSync("mkfifo", [path])
      return path
    }, /a FIFO/]
  ]
  for (const [what, target, message] of refused) {
    it(`refuses ${what} at start with exit 2, naming CACHE_FILE, without touching it`, async () => {
      await simulator.resetStats()
      const path = target()
      const service = spawnService(env(path), ["--once"])
      assert.strictEqual(await service.exited(10_000), 2)
      assert.match(service.stderr(), /CACHE_FILE=.*must name a regular file or nothing/)
      assert.match(service.stderr(), message)
      assert.strictEqual((await simulator.stats()).total, 0, "nothing is requested")
    })
  }

  it("refuses a socket", async () => {
    const path = join(dir(), "socket")
    const server = createServer().listen(path)
    await new Promise((resolve) => server.once("listening", resolve))
    try {
      const service = spawnService(env(path), ["--once"])
      assert.strictEqual(await service.exited(10_000), 2)
      assert.match(service.stderr(), /a socket/)
    } finally {
      server.close()
    }
  })

  it("replaces a symlink at CACHE_FILE with the file and leaves what it pointed to untouched", async () => {
    const base = dir()
    const elsewhere = join(base, "elsewhere.json")
    writeFileSync(elsewhere, "not ours")
    const link = join(base, "carbon_cache.json")
    symlinkSync(elsewhere, link)
    const service = spawnService(env(link), ["--once"])
    assert.strictEqual(await service.exited(15_000), 0, service.stderr())
    assert.strictEqual(readFileSync(elsewhere, "utf8"), "not ours")
    assert.throws(() => readlinkSync(link), /EINVAL/)
    assert.include(readFileSync(link, "utf8"), "\"sorted_by_carbon\"")
  })
})

describe("files that could block the process", () => {
  it("refuses a key file that is a FIFO at start (exit 2) instead of blocking on it", async () => {
    const fifo = join(dir(), "key-fifo")
    execFileSync("mkfifo", [fifo])
    const { ELECTRICITY_MAPS_API_KEY: _, ...withoutKey } = env(join(dir(), "carbon_cache.json"))
    const service = spawnService({ ...withoutKey, ELECTRICITY_MAPS_API_KEY_FILE: fifo })
    assert.strictEqual(await service.exited(5_000), 2)
    assert.match(
      service.stderr(),
      /ELECTRICITY_MAPS_API_KEY_FILE=.*must be a regular file holding the API key, not a fifo/
    )
  })
})

describe("API versions", () => {
  it("speaks v4 by default against the simulator, and v3 when given a /v3 base, with one warning and the same file", async () => {
    await simulator.resetStats()
    const v4File = join(dir(), "carbon_cache.json")
    const v4 = spawnService(env(v4File), ["--once"])
    assert.strictEqual(await v4.exited(15_000), 0, v4.stderr())
    const afterV4 = await simulator.stats()
    assert.isAbove(afterV4.byVersion.v4, 0)
    assert.strictEqual(afterV4.byVersion.v3, 0)
    assert.notInclude(v4.stdout(), "legacy")

    await simulator.resetStats()
    const v3File = join(dir(), "carbon_cache.json")
    const v3 = spawnService(env(v3File, { ELECTRICITY_MAPS_API_URL: simulator.baseUrlV3 }), ["--once"])
    assert.strictEqual(await v3.exited(15_000), 0, v3.stderr())
    const afterV3 = await simulator.stats()
    assert.strictEqual(afterV3.byVersion.v4, 0)
    assert.isAbove(afterV3.byVersion.v3, 0)
    const warnings = v3.stdout().split("\n").filter((line) => line.includes("legacy Electricity Maps API"))
    assert.strictEqual(warnings.length, 1)
    assert.include(warnings[0]!, `${simulator.baseUrlV3.replace(/\/v3$/, "/v4")}`)
    assert.isTrue(await waitForFile(v3File, 1_000))
    const strip = (text: string) => {
      const parsed = JSON.parse(text) as { regions: Record<string, Record<string, unknown>> }
      return Object.fromEntries(Object.entries(parsed.regions).map(([zone, entry]) => [zone, entry["carbonIntensity"]]))
    }
    assert.deepStrictEqual(strip(readFileSync(v3File, "utf8")), strip(readFileSync(v4File, "utf8")))
  })
})
