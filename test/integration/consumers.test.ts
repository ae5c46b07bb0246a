/**
 * The read API over real loopback HTTP: the service polls the project's simulator (real HTTP, a real
 * temporary directory), its endpoints listen on a free port, and three clients written from their
 * projects' published behaviour (test/support/ConsumerClients.ts) read the same values from
 * carbon-poller as from the simulator directly, which speaks Electricity Maps' API. The simulator
 * follows the test's clock, so the hour cannot turn between the two reads.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpServer from "@effect/platform/HttpServer"
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Duration, Effect, Layer, Option, Redacted, TestClock } from "effect"
import { ServicesLayer } from "../../src/app/AppLayer.js"
import { Forecasts } from "../../src/forecast/Forecasts.js"
import * as HttpEndpoints from "../../src/http/HttpEndpoints.js"
import { HttpListener } from "../../src/http/HttpListener.js"
import * as NodeHttpServer from "../../src/platform/NodeHttpServer.js"
import * as NodePlatform from "../../src/platform/NodePlatform.js"
import { Poller } from "../../src/poll/Poller.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import { carbonAwareSdk, computeGardenerLatest, gridIntensityGo } from "../support/ConsumerClients.js"
import { configContext, testSettings } from "../support/settings.js"

const ZONES = ["DE", "FR", "US-CAL-CISO"]
const TOKEN = "consumer-token-it-4f1d2c"
const SIMULATOR_KEY = "simulator-key-it"
const NOW = Date.UTC(2024, 2, 6, 10, 20, 0)

/** The service over Node's platform, against the simulator, with its endpoints on a free port. */
const service = (dir: string, simulator: Simulator.SimulatorHandle) =>
  Effect.gen(function*() {
    const settings = testSettings({
      apiUrl: simulator.baseUrl,
      apiKey: Redacted.make(SIMULATOR_KEY),
      cacheFile: `${dir}/carbon_cache.json`,
      zones: ZONES,
      retryBaseDelay: Duration.millis(10),
      requestTimeout: Duration.seconds(5),
      forecastWindowsMinutes: [60],
      consumerToken: Option.some(Redacted.make(TOKEN)),
      // Not 0, which turns the endpoints off: the listener below takes any free port instead.
      httpPort: 9477,
      httpHost: "127.0.0.1"
    })
    const services = yield* Layer.build(
      ServicesLayer.pipe(
        Layer.provideMerge(Layer.succeedContext(configContext(settings))),
        Layer.provideMerge(NodePlatform.layer)
      )
    )
    const node = yield* Effect.provide(HttpListener, NodeHttpServer.layer)
    const bound = yield* Deferred.make<HttpServer.Address>()
    const anyFreePort = Layer.succeed(HttpListener, {
      listen: (address) =>
        node.listen({ ...address, port: 0 }).pipe(
          Layer.tap((context) => Deferred.succeed(bound, Context.get(context, HttpServer.HttpServer).address))
        )
    })
    yield* Layer.build(HttpEndpoints.layer.pipe(Layer.provide(anyFreePort))).pipe(Effect.provide(services))
    const address = yield* Deferred.await(bound)
    const port = address._tag === "TcpAddress" ? address.port : 0
    // One run of the service, as `--once` does it: forecasts first, then the poll.
    const pollOnce = Effect.gen(function*() {
      yield* (yield* Forecasts).refresh
      yield* (yield* Poller).pollOnce(ZONES)
    }).pipe(Effect.provide(services))
    return { base: `http://127.0.0.1:${port}/v4`, pollOnce }
  })

const setUp = Effect.gen(function*() {
  yield* TestClock.setTime(NOW)
  const simulator = yield* Simulator.start({ port: 0, seed: 5, apiKey: SIMULATOR_KEY }).pipe(Effect.orDie)
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "carbon-poller-consumers-it-" })
  return { simulator, dir, fs }
}).pipe(Effect.provide(NodeFileSystem.layer))

describe("consumers of the read API over real HTTP", () => {
  it.scoped("read from carbon-poller what they read from Electricity Maps' API, without one call upstream", () =>
    Effect.gen(function*() {
      const { dir, simulator } = yield* setUp
      const poller = yield* service(dir, simulator)
      yield* poller.pollOnce
      const polled = (yield* simulator.stats()).total

      // The same three clients, pointed at carbon-poller with its consumer token...
      const fromPoller = {
        gardener: yield* Effect.forEach(
          ZONES,
          (zone) => computeGardenerLatest(`${poller.base}/carbon-intensity/latest?zone=`, TOKEN, zone)
        ),
        grid: yield* Effect.forEach(ZONES, (zone) => gridIntensityGo(poller.base, TOKEN, zone)),
        sdkHistory: yield* carbonAwareSdk(`${poller.base}/`, TOKEN, "lifecycle").history("DE"),
        sdkForecast: yield* carbonAwareSdk(`${poller.base}/`, TOKEN).forecast("DE")
      }
      assert.strictEqual((yield* simulator.stats()).total, polled, "a consumer's request reached the provider")

      // ...and at the simulator with its key.
      const fromApi = {
        gardener: yield* Effect.forEach(
          ZONES,
          (zone) => computeGardenerLatest(`${simulator.baseUrl}/carbon-intensity/latest?zone=`, SIMULATOR_KEY, zone)
        ),
        grid: yield* Effect.forEach(ZONES, (zone) => gridIntensityGo(simulator.baseUrl, SIMULATOR_KEY, zone)),
        sdkHistory: yield* carbonAwareSdk(`${simulator.baseUrl}/`, SIMULATOR_KEY, "lifecycle").history("DE"),
        sdkForecast: yield* carbonAwareSdk(`${simulator.baseUrl}/`, SIMULATOR_KEY).forecast("DE")
      }

      assert.deepStrictEqual(fromPoller.gardener, fromApi.gardener)
      // grid-intensity-go keeps the newest estimated and the newest measured point: the poller has
      // polled once, so its newest point must be the API's newest of the same kind.
      for (const [index, values] of fromPoller.grid.entries()) {
        assert.strictEqual(values.length, 1, ZONES[index])
        const value = values[0]!
        const same = fromApi.grid[index]?.find((candidate) => candidate.isEstimated === value.isEstimated)
        assert.deepStrictEqual(value, same, ZONES[index])
        assert.strictEqual(value.validFrom, Date.UTC(2024, 2, 6, 10))
      }
      // The SDK's history: the poller's one point is the API's newest.
      assert.deepStrictEqual(fromPoller.sdkHistory.map(({ rating, time }) => ({ rating, time })), [
        { rating: fromApi.sdkHistory.at(-1)!.rating, time: fromApi.sdkHistory.at(-1)!.time }
      ])
      // The SDK's forecast: the same points from the current hour on, the same spacing and time made.
      assert.deepStrictEqual(fromPoller.sdkForecast, fromApi.sdkForecast)
      assert.strictEqual(fromPoller.sdkForecast.data.length, 24)
    }))

  it.scoped("refuses a client without the token, serves HEAD like GET, and keeps the history on disk", () =>
    Effect.gen(function*() {
      const { dir, fs, simulator } = yield* setUp
      const poller = yield* service(dir, simulator)
      yield* poller.pollOnce
      const url = `${poller.base}/carbon-intensity/history?zone=FR`

      const refused = yield* Effect.flip(gridIntensityGo(poller.base, "not-the-token", "FR"))
      assert.match(refused.message, /HTTP 401: \{"error":"Invalid auth-token"/)

      const get = yield* Effect.promise(() => fetch(url, { headers: { "auth-token": TOKEN } }))
      const head = yield* Effect.promise(() => fetch(url, { method: "HEAD", headers: { "auth-token": TOKEN } }))
      assert.strictEqual(head.status, 200)
      assert.strictEqual(yield* Effect.promise(() => head.text()), "")
      assert.strictEqual(head.headers.get("etag"), get.headers.get("etag"))
      assert.strictEqual(head.headers.get("content-type"), "application/json")
      assert.strictEqual(head.headers.get("cache-control"), get.headers.get("cache-control"))

      const file = yield* fs.readFileString(`${dir}/carbon_cache.history.json`).pipe(
        Effect.eventually,
        Effect.timeout("5 seconds")
      )
      assert.include(file, "\"FR\"")
      assert.strictEqual((yield* fs.stat(`${dir}/carbon_cache.history.json`)).mode & 0o777, 0o644)
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
