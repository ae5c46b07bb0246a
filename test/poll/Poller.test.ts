import * as HttpServer from "@effect/platform/HttpServer"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Option, TestClock } from "effect"
import { pollOnceAndExit } from "../../src/app/Commands.js"
import type { CacheFile } from "../../src/domain/CacheFile.js"
import { HttpListener } from "../../src/http/HttpListener.js"
import { Poller } from "../../src/poll/Poller.js"
import { PollStatus } from "../../src/poll/PollStatus.js"
import { delayed, hang, respond, transport } from "../support/FakeApi.js"
import { CURRENT_HOUR } from "../support/fixtures.js"
import { makeHarness } from "../support/harness.js"
import { aReading } from "../support/samples.js"
import { TEST_API_KEY } from "../support/settings.js"

const ZONES = ["US-CAL-CISO", "US-TEX-ERCO", "US-NY-NYIS", "US-MIDA-PJM", "US-MIDW-MISO"]
const INTENSITIES = {
  "US-CAL-CISO": 250.5,
  "US-TEX-ERCO": 400,
  "US-NY-NYIS": 118,
  "US-MIDA-PJM": 390,
  "US-MIDW-MISO": 466
}
const TARGET = "/cache/carbon_cache.json"

const readCache = (text: string | undefined): CacheFile => JSON.parse(text ?? "null") as CacheFile
const pollOnce = Effect.flatMap(Poller, (poller) => poller.pollOnce(ZONES))

describe("Poller.pollOnce", () => {
  it.effect("ranks every zone and writes the cache", () =>
    Effect.gen(function*() {
      const h = makeHarness({ api: { intensities: INTENSITIES } })
      const summary = yield* h.run(pollOnce)
      assert.isTrue(Option.isSome(summary.written))
      const cache = readCache(h.memory.read(TARGET))
      assert.deepStrictEqual(cache.sorted_by_carbon, [
        "US-NY-NYIS",
        "US-CAL-CISO",
        "US-MIDA-PJM",
        "US-TEX-ERCO",
        "US-MIDW-MISO"
      ])
      assert.strictEqual(cache.best_region, "US-NY-NYIS")
      assert.strictEqual(cache.worst_region, "US-MIDW-MISO")
      assert.strictEqual(h.api.totalLatestRequests, 5)
    }))

  it.effect("keeps one zone's failure apart from the others, and logs it once with zone, reason and message", () =>
    Effect.gen(function*() {
      const notInPlan = JSON.stringify({ error: "Request unauthorized for zoneKey=US-TEX-ERCO,requestType=latest" })
      const h = makeHarness({
        api: { intensities: INTENSITIES, scripts: { "US-TEX-ERCO": [respond(401, notInPlan)] } }
      })
      yield* h.run(pollOnce)
      const cache = readCache(h.memory.read(TARGET))
      assert.strictEqual(cache.sorted_by_carbon.length, 4)
      assert.isFalse("US-TEX-ERCO" in cache.regions)
      assert.deepStrictEqual(cache.unavailable?.["US-TEX-ERCO"], {
        reason: "Unauthorized",
        message: "Request unauthorized for zoneKey=US-TEX-ERCO,requestType=latest"
      })
      const failureLines = h.logLines.filter((l) => l.includes("zone US-TEX-ERCO: Unauthorized"))
      assert.strictEqual(failureLines.length, 1)
      assert.include(failureLines[0], "\"zone\":\"US-TEX-ERCO\"")
      assert.isTrue(h.logLines.some((l) => l.includes("poll: 4/5 zones ok, 1 failed (US-TEX-ERCO: Unauthorized)")))
    }))

  it.effect("a zone that hangs delays the poll only until its own timeout", () =>
    Effect.gen(function*() {
      const h = makeHarness({
        api: { intensities: INTENSITIES, scripts: { "US-CAL-CISO": [hang] } },
        settings: { maxRetries: 0 }
      })
      const fiber = yield* Effect.fork(h.run(pollOnce))
      yield* TestClock.adjust("9999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 millis")
      const summary = yield* Fiber.join(fiber)
      assert.strictEqual(summary.fresh.length, 4)
      assert.deepStrictEqual(summary.failures.map((f) => [f.zone, f.reason]), [["US-CAL-CISO", "Timeout"]])
    }))

  it.effect("keeps at most MAX_CONCURRENCY requests in flight", () =>
    Effect.gen(function*() {
      const zones = Array.from({ length: 12 }, (_, i) => `Z${i}`)
      const h = makeHarness({
        api: {
          intensities: Object.fromEntries(zones.map((z, i) => [z, i])),
          scripts: Object.fromEntries(
            zones.map((
              z,
              i
            ) => [z, [
              delayed(
                "1 second",
                respond(
                  200,
                  JSON.stringify(aReading(z, i, { datetime: CURRENT_HOUR, updatedAt: "u" }))
                )
              )
            ]])
          )
        },
        settings: { maxConcurrency: 3, zones }
      })
      const fiber = yield* Effect.fork(h.run(Effect.flatMap(Poller, (p) => p.pollOnce(zones))))
      yield* TestClock.adjust("4 seconds")
      const summary = yield* Fiber.join(fiber)
      assert.strictEqual(summary.fresh.length, 12)
      assert.strictEqual(h.api.maxInFlight, 3)
    }))

  it.effect("holds MAX_REQUESTS_PER_SECOND across zones, without a burst", () =>
    Effect.gen(function*() {
      const h = makeHarness({ api: { intensities: INTENSITIES }, settings: { maxRequestsPerSecond: 2 } })
      const fiber = yield* Effect.fork(h.run(pollOnce))
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(h.api.totalLatestRequests, 1)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(h.api.totalLatestRequests, 3)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(fiber)).fresh.length, 5)
    }))

  it.effect("keeps a failed zone's last good entry within the TTL and drops it after", () =>
    Effect.gen(function*() {
      const h = makeHarness({
        api: {
          intensities: INTENSITIES,
          scripts: {
            "US-NY-NYIS": [
              respond(
                200,
                JSON.stringify(aReading("US-NY-NYIS", 118, { datetime: CURRENT_HOUR, updatedAt: "u" }))
              ),
              respond(503, "down"),
              respond(503, "down")
            ]
          }
        },
        settings: { maxRetries: 0, cacheTtlMinutes: 10 }
      })
      yield* h.run(
        Effect.gen(function*() {
          const poller = yield* Poller
          yield* poller.pollOnce(ZONES)
          const first = readCache(h.memory.read(TARGET))
          yield* TestClock.adjust("5 minutes")
          yield* poller.pollOnce(ZONES)
          const second = readCache(h.memory.read(TARGET))
          assert.deepStrictEqual(second.regions["US-NY-NYIS"], first.regions["US-NY-NYIS"])
          assert.strictEqual(second.regions["US-NY-NYIS"]!.timestamp, "1970-01-01T00:00:00")
          assert.strictEqual(second.best_region, "US-NY-NYIS")
          yield* TestClock.adjust("5 minutes")
          yield* poller.pollOnce(ZONES)
          const third = readCache(h.memory.read(TARGET))
          assert.isFalse("US-NY-NYIS" in third.regions)
          assert.strictEqual(third.unavailable?.["US-NY-NYIS"]?.reason, "ServerError")
        })
      )
    }))

  it.effect("writes nothing when no zone is usable: the previous file stays", () =>
    Effect.gen(function*() {
      const allDown = Object.fromEntries(ZONES.map((z) => [z, [transport]]))
      const h = makeHarness({
        api: { intensities: INTENSITIES, scripts: allDown },
        settings: { maxRetries: 0 },
        fs: { files: { [TARGET]: "previous" } }
      })
      const summary = yield* h.run(pollOnce)
      assert.isTrue(Option.isNone(summary.written))
      assert.strictEqual(h.memory.read(TARGET), "previous")
      assert.isTrue(h.logLines.some((l) =>
        l.includes("poll: 0/5 zones ok, 5 failed") && l.includes("nothing usable, cache left as it was")
      ))
    }))

  it.effect("survives a failing write: logs it, keeps the previous file, reports it, and writes next poll", () =>
    Effect.gen(function*() {
      const h = makeHarness({ api: { intensities: INTENSITIES }, fs: { files: { [TARGET]: "previous" } } })
      h.memory.setFailure("rename", { reason: "Unknown", description: "ENOSPC: no space left on device" })
      yield* h.run(
        Effect.gen(function*() {
          const poller = yield* Poller
          const status = yield* PollStatus
          const failed = yield* poller.pollOnce(ZONES)
          assert.isTrue(Option.isNone(failed.written))
          assert.strictEqual(h.memory.read(TARGET), "previous")
          assert.deepStrictEqual(h.memory.paths(), [TARGET])
          assert.isTrue(Option.isSome((yield* status.get).lastWriteError))
          assert.isTrue(
            h.logLines.some((l) => l.includes("no space left on device") && l.includes("\"logLevel\":\"ERROR\""))
          )
          h.memory.setFailure("rename", undefined)
          const recovered = yield* poller.pollOnce(ZONES)
          assert.isTrue(Option.isSome(recovered.written))
          assert.strictEqual(readCache(h.memory.read(TARGET)).best_region, "US-NY-NYIS")
          assert.isTrue(Option.isNone((yield* status.get).lastWriteError))
        })
      )
    }))

  it.effect("never logs the API key, whatever fails", () =>
    Effect.gen(function*() {
      const echo = respond(
        401,
        JSON.stringify({ error: "Invalid auth-token", message: `token ${TEST_API_KEY} is invalid` })
      )
      const h = makeHarness({
        api: {
          intensities: INTENSITIES,
          scripts: {
            "US-CAL-CISO": [echo],
            "US-TEX-ERCO": [transport],
            "US-NY-NYIS": [respond(500, TEST_API_KEY)],
            "US-MIDA-PJM": [respond(200, `{"oops": "${TEST_API_KEY}"}`)]
          }
        },
        settings: { maxRetries: 0 }
      })
      yield* h.run(pollOnceAndExit)
      assert.isTrue(h.logLines.length >= 6)
      for (const line of h.logLines) assert.notInclude(line, TEST_API_KEY)
      assert.isTrue(h.logLines.some((l) => l.includes("\"api_key\":\"<redacted>\"")))
    }))
})

describe("the poll schedule", () => {
  it.effect("polls at once, then every POLL_INTERVAL_MINUTES: three cycles under TestClock", () =>
    Effect.gen(function*() {
      const h = makeHarness({ api: { intensities: INTENSITIES }, settings: { pollIntervalMinutes: 5 } })
      const fiber = yield* Effect.fork(h.launch)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(h.api.totalLatestRequests, 5)
      yield* TestClock.adjust("4 minutes")
      assert.strictEqual(h.api.totalLatestRequests, 5)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(h.api.totalLatestRequests, 10)
      yield* TestClock.adjust("5 minutes")
      assert.strictEqual(h.api.totalLatestRequests, 15)
      assert.strictEqual(h.api.requests.filter((r) => r.url.pathname.endsWith("/zones")).length, 1)
      assert.strictEqual(h.logLines.filter((l) => l.includes("\"event\":\"poll\"")).length, 3)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("a poll that overruns the interval is followed at once by one poll, not a burst", () =>
    Effect.gen(function*() {
      const slow = () =>
        delayed(
          "150 seconds",
          respond(
            200,
            JSON.stringify(aReading("FR", 1, { datetime: CURRENT_HOUR, updatedAt: "u" }))
          )
        )
      const h = makeHarness({
        api: { intensities: { FR: 1 }, scripts: { FR: [slow(), slow(), slow()] } },
        settings: { zones: ["FR"], pollIntervalMinutes: 1, requestTimeout: Duration.minutes(10) }
      })
      const fiber = yield* Effect.fork(h.launch)
      yield* TestClock.adjust("150 seconds")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(h.api.requestsFor("FR"), 2)
      yield* TestClock.adjust("149 seconds")
      assert.strictEqual(h.api.requestsFor("FR"), 2)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("starts the HTTP endpoints before the zone check asks /zones", () =>
    Effect.gen(function*() {
      let requestsWhenStarted = -1
      // A server that notes how many API requests were made when the endpoints were handed to it.
      const noting = Layer.succeed(HttpListener, {
        listen: ({ host, port }) =>
          Layer.succeed(
            HttpServer.HttpServer,
            HttpServer.make({
              serve: () => Effect.sync(() => (requestsWhenStarted = h.api.requests.length)),
              address: { _tag: "TcpAddress", hostname: host, port }
            })
          )
      })
      const h = makeHarness({ api: { intensities: INTENSITIES }, settings: { httpPort: 9477 }, listener: noting })
      const fiber = yield* Effect.fork(h.launch)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(requestsWhenStarted, 0)
      assert.isTrue(h.api.requests.length > 0)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("polls first after the zone check at start, however long the catalogue takes", () =>
    Effect.gen(function*() {
      const h = makeHarness({
        api: { intensities: INTENSITIES, zonesDelay: "5 seconds" },
        settings: { zones: [...ZONES, "US-NY-NYISO"] }
      })
      const fiber = yield* Effect.fork(h.launch)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(h.api.totalLatestRequests, 0)
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual(h.api.totalLatestRequests, 5)
      assert.strictEqual(h.api.requestsFor("US-NY-NYISO"), 0)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("stops a zone that does not exist from being polled, and fails when none is left", () =>
    Effect.gen(function*() {
      const h = makeHarness({ api: { intensities: INTENSITIES }, settings: { zones: ["US-NY-NYISO", "US-TEX-ERCOT"] } })
      const error = yield* Effect.flip(h.run(pollOnceAndExit))
      assert.strictEqual(error._tag, "NoValidZones")
      assert.match(error.message, /US-NY-NYISO does not exist; did you mean US-NY-NYIS\?/)
      assert.match(error.message, /US-TEX-ERCOT does not exist; did you mean US-TEX-ERCO\?/)
      assert.strictEqual(h.api.totalLatestRequests, 0)
    }))
})
