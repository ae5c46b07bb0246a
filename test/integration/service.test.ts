/**
 * The service with its real parts: Node's HTTP client on loopback against the project's own
 * Electricity Maps simulator, and the real filesystem in a temporary directory.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Logger, Schema } from "effect"
import * as AppLayer from "../../src/app/AppLayer.js"
import { pollOnceAndExit } from "../../src/app/Commands.js"
import { CacheFile } from "../../src/domain/CacheFile.js"
import * as NodePlatform from "../../src/platform/NodePlatform.js"
import { Poller } from "../../src/poll/Poller.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import { CONTRACT_KEYS } from "../support/samples.js"
import { configContext, type Settings, testSettings } from "../support/settings.js"

const ZONES = ["US-CAL-CISO", "US-TEX-ERCO", "US-NY-NYIS", "US-MIDA-PJM", "US-MIDW-MISO"]

/** Starts the simulator and builds the service over real HTTP and a real temp directory. */
const realService = (
  options: { readonly simulator?: Simulator.SimulatorOptions; readonly settings?: Partial<Settings> } = {}
) =>
  Effect.gen(function*() {
    const simulator = yield* Simulator.start({ port: 0, seed: 7, ...options.simulator }).pipe(Effect.orDie)
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "carbon-poller-it-" })
    const cacheFile = `${dir}/cache/carbon_cache.json`
    const logLines: Array<string> = []
    const settings = testSettings({
      apiUrl: simulator.baseUrl,
      cacheFile,
      zones: ZONES,
      retryBaseDelay: Duration.millis(10),
      retryMaxDelay: Duration.seconds(2),
      requestTimeout: Duration.seconds(2),
      ...options.settings
    })
    const layer = AppLayer.ServicesLayer.pipe(
      Layer.provideMerge(Layer.succeedContext(configContext(settings))),
      // The platform main.ts runs on: Node's filesystem and undici's HTTP client.
      Layer.provide(NodePlatform.layer),
      Layer.provideMerge(
        Logger.replace(Logger.defaultLogger, Logger.map(Logger.jsonLogger, (line) => void logLines.push(line)))
      )
    )
    const poll = Effect.flatMap(Poller, (p) => p.pollOnce(settings.zones)).pipe(Effect.provide(layer))
    const readCache = Effect.flatMap(fs.readFileString(cacheFile), Schema.decodeUnknown(Schema.parseJson(CacheFile)))
    const listDir = fs.readDirectory(`${dir}/cache`)
    return { simulator, settings, cacheFile, poll, readCache, listDir, logLines, layer }
  }).pipe(Effect.provide(NodeFileSystem.layer))

describe("the service against the simulator over real HTTP", () => {
  it.scopedLive("a healthy poll makes exactly one request per zone and writes the contract's shape", () =>
    Effect.gen(function*() {
      const s = yield* realService()
      const summary = yield* s.poll
      assert.strictEqual(summary.failures.length, 0)
      const stats = yield* s.simulator.stats()
      for (const zone of ZONES) assert.strictEqual(stats.byZone[zone], 1, zone)
      assert.strictEqual(stats.total, ZONES.length)
      const cache = yield* s.readCache
      assert.deepStrictEqual(Object.keys(cache).slice(0, 6), CONTRACT_KEYS)
      assert.match(cache.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/)
      assert.deepStrictEqual([...cache.sorted_by_carbon].sort(), [...ZONES].sort())
      for (const zone of ZONES) {
        const entry = cache.regions[zone]!
        assert.strictEqual(entry.zone, zone)
        assert.strictEqual(entry.temporalGranularity, "hourly")
        assert.match(entry.datetime, /T\d{2}:00:00\.000Z$/)
      }
      assert.deepStrictEqual(yield* s.listDir, ["carbon_cache.json"])
    }))

  it.scopedLive("keeps at most MAX_CONCURRENCY requests in flight", () =>
    Effect.gen(function*() {
      const zones = ["DE", "FR", "GB", "SE", "PL", "ES", "IT-NO", "NL", "BE", "AT", "CH", "DK-DK1"]
      const s = yield* realService({ simulator: { latencyMs: 30 }, settings: { zones, maxConcurrency: 4 } })
      yield* s.poll
      const stats = yield* s.simulator.stats()
      assert.strictEqual(stats.total, zones.length)
      assert.isAtMost(stats.maxInFlight, 4)
      assert.strictEqual(stats.maxInFlight, 4)
    }))

  const faultCases: ReadonlyArray<{
    readonly name: string
    readonly fault: Simulator.FaultRuleInput["fault"]
    readonly reason: string
    readonly requests: number
    readonly settings?: Partial<Settings>
  }> = [
    {
      name: "HTTP 503 on every attempt",
      fault: { kind: "server-error", status: 503 },
      reason: "ServerError",
      requests: 4
    },
    {
      name: "429 with Retry-After",
      fault: { kind: "rate-limit-429", retryAfterSeconds: 1 },
      reason: "RateLimited",
      requests: 2,
      settings: { maxRetries: 1 }
    },
    { name: "401 rate limit", fault: { kind: "rate-limit-401" }, reason: "Unauthorized", requests: 1 },
    {
      name: "a hang",
      fault: { kind: "hang" },
      reason: "Timeout",
      requests: 1,
      settings: { maxRetries: 0, requestTimeout: Duration.millis(300) }
    },
    {
      name: "a body trickled slower than the timeout",
      fault: { kind: "slow", chunkBytes: 8, intervalMs: 100 },
      reason: "Timeout",
      requests: 1,
      settings: { maxRetries: 0, requestTimeout: Duration.millis(300) }
    },
    {
      name: "a body that is not JSON",
      fault: { kind: "invalid-json", status: 200 },
      reason: "BadResponse",
      requests: 1
    },
    {
      name: "a proxy's HTML 502",
      fault: { kind: "html-502" },
      reason: "ServerError",
      requests: 2,
      settings: { maxRetries: 1 }
    },
    { name: "carbonIntensity null", fault: { kind: "null-intensity" }, reason: "NoData", requests: 1 },
    { name: "no recent data", fault: { kind: "no-recent-data" }, reason: "NoData", requests: 1 },
    {
      name: "a 50 MB body",
      fault: { kind: "huge-body", bytes: 50 * 1024 * 1024 },
      reason: "BodyTooLarge",
      requests: 1
    },
    { name: "an endless body", fault: { kind: "endless-body" }, reason: "BodyTooLarge", requests: 1 }
  ]
  for (const c of faultCases) {
    it.scopedLive(`${c.name} fails only its zone, as ${c.reason}, after ${c.requests} request(s)`, () =>
      Effect.gen(function*() {
        const s = yield* realService({
          simulator: { faults: [{ zone: "US-TEX-ERCO", fault: c.fault }] },
          settings: c.settings ?? {}
        })
        const summary = yield* s.poll
        assert.deepStrictEqual(summary.failures.map((f) => [f.zone, f.reason]), [["US-TEX-ERCO", c.reason]])
        assert.strictEqual(summary.fresh.length, 4)
        const stats = yield* s.simulator.stats()
        assert.strictEqual(stats.byZone["US-TEX-ERCO"], c.requests)
        const cache = yield* s.readCache
        assert.isFalse("US-TEX-ERCO" in cache.regions)
        assert.strictEqual(cache.unavailable?.["US-TEX-ERCO"]?.reason, c.reason)
        assert.strictEqual(s.logLines.filter((l) => l.includes("zone US-TEX-ERCO:")).length, 1)
        assert.deepStrictEqual(yield* s.listDir, ["carbon_cache.json"])
      }))
  }

  it.scopedLive("mixed faults: a 503 that clears on retry, a hang and a 401 in one poll", () =>
    Effect.gen(function*() {
      const s = yield* realService({
        simulator: {
          faults: [
            { zone: "US-CAL-CISO", fault: { kind: "server-error", status: 503 }, when: { next: 2 } },
            { zone: "US-NY-NYIS", fault: { kind: "hang" } },
            { zone: "US-MIDW-MISO", fault: { kind: "rate-limit-401" } }
          ]
        },
        settings: { requestTimeout: Duration.millis(300), maxRetries: 2 }
      })
      const summary = yield* s.poll
      assert.deepStrictEqual(
        summary.failures.map((f) => [f.zone, f.reason]).sort(),
        [["US-MIDW-MISO", "Unauthorized"], ["US-NY-NYIS", "Timeout"]]
      )
      const stats = yield* s.simulator.stats()
      assert.strictEqual(stats.byZone["US-CAL-CISO"], 3) // two 503s, then the answer
      assert.strictEqual(stats.byZone["US-NY-NYIS"], 3) // timeouts are retried
      assert.strictEqual(stats.byZone["US-MIDW-MISO"], 1) // 401 is not
      const cache = yield* s.readCache
      assert.deepStrictEqual([...cache.sorted_by_carbon].sort(), ["US-CAL-CISO", "US-MIDA-PJM", "US-TEX-ERCO"])
    }))

  it.scopedLive("keeps the last good value of a zone that fails later, within the TTL", () =>
    Effect.gen(function*() {
      const s = yield* realService()
      yield* s.poll
      const first = yield* s.readCache
      yield* s.simulator.addFault({ zone: "US-TEX-ERCO", fault: { kind: "server-error", status: 500 } }).pipe(
        Effect.orDie
      )
      yield* Effect.provide(Effect.flatMap(Poller, (p) => p.pollOnce(ZONES)), s.layer)
      const second = yield* s.readCache
      assert.deepStrictEqual(second.regions["US-TEX-ERCO"], first.regions["US-TEX-ERCO"])
    }))

  it.scopedLive("the start-up zone check drops a misspelled zone with its suggestion", () =>
    Effect.gen(function*() {
      const s = yield* realService({ settings: { zones: ["US-NY-NYISO", "DE"] } })
      yield* Effect.provide(pollOnceAndExit, s.layer)
      assert.isTrue(s.logLines.some((l) => l.includes("zone US-NY-NYISO does not exist; did you mean US-NY-NYIS?")))
      const stats = yield* s.simulator.stats()
      assert.strictEqual(stats.byZone["US-NY-NYISO"] ?? 0, 0)
      assert.strictEqual(stats.byZone["DE"], 1)
    }))

  it.scopedLive("reports zones outside the key's plan, by name", () =>
    Effect.gen(function*() {
      const s = yield* realService({ simulator: { plan: ["DE"] }, settings: { zones: ["DE", "FR"] } })
      yield* Effect.provide(pollOnceAndExit, s.layer)
      assert.isTrue(s.logLines.some((l) => l.includes("zone FR is outside your API plan")))
      const cache = yield* s.readCache
      assert.strictEqual(cache.unavailable?.["FR"]?.reason, "Unauthorized")
    }))
})
