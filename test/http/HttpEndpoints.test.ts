import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Context, Deferred, Effect, Layer, Metric, Option, TestClock } from "effect"
import { spawnSync } from "node:child_process"
import { DEFAULT_HTTP_PORT, HttpConfig } from "../../src/config/HttpConfig.js"
import type { CacheFile } from "../../src/domain/CacheFile.js"
import { formatCacheTimestamp } from "../../src/domain/Time.js"
import { liveness, readiness } from "../../src/http/Health.js"
import * as HttpEndpoints from "../../src/http/HttpEndpoints.js"
import { HttpListener } from "../../src/http/HttpListener.js"
import * as Metrics from "../../src/observability/Metrics.js"
import { PrometheusMetrics } from "../../src/observability/PrometheusExposition.js"
import * as NodeHttpServer from "../../src/platform/NodeHttpServer.js"
import { PollStatus, type StatusSnapshot } from "../../src/poll/PollStatus.js"
import { consumerApiLayer, consumerPlatform } from "../support/consumer.js"
import { aCacheEntry } from "../support/samples.js"
import * as TestSettings from "../support/settings.js"
import { staticSource } from "../support/StaticSource.js"

/**
 * The endpoints layer with `HTTP_HOST:HTTP_PORT` as given, on Node's server, for the life of the
 * scope; the address it listens on. `anyPort` has it listen on any free port instead (what port 0
 * means to a server, while `HTTP_PORT=0` turns the endpoints off).
 */
const serveOn = (host: string, port: number, options: { readonly anyPort: boolean } = { anyPort: false }) =>
  Effect.gen(function*() {
    const node = yield* Effect.provide(HttpListener, NodeHttpServer.layer)
    const bound = yield* Deferred.make<HttpServer.Address>()
    const listener = Layer.succeed(HttpListener, {
      listen: (address) =>
        node.listen(options.anyPort ? { ...address, port: 0 } : address).pipe(
          Layer.tap((context) => Deferred.succeed(bound, Context.get(context, HttpServer.HttpServer).address))
        )
    })
    yield* Layer.build(HttpEndpoints.layer.pipe(
      Layer.provide(listener),
      Layer.provide(Layer.succeed(HttpConfig, { httpHost: host, httpPort: port }))
    ))
    return yield* Deferred.await(bound)
  })

const MINUTE = 60_000
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0)

const cacheAt = (producedAt: number, ttlMinutes = 10): CacheFile => ({
  timestamp: formatCacheTimestamp(producedAt),
  ttl_minutes: ttlMinutes,
  regions: {
    FR: aCacheEntry("FR", 50, {
      datetime: "2024-01-01T12:00:00.000Z",
      updatedAt: "2024-01-01T11:50:00.000Z",
      isEstimated: true,
      timestamp: formatCacheTimestamp(producedAt)
    })
  },
  sorted_by_carbon: ["FR"],
  best_region: "FR",
  worst_region: "FR"
})

const snapshot = (overrides: Partial<StatusSnapshot>): StatusSnapshot => ({
  startedAt: T0,
  lastPollStartedAt: Option.none(),
  lastWrite: Option.none(),
  lastWriteError: Option.none(),
  ...overrides
})

describe("liveness", () => {
  // Two intervals of 5 minutes plus a request timeout of 10 s.
  const allowance = 10 * MINUTE + 10_000
  it("is alive while a poll started within two intervals plus the request timeout", () => {
    const s = snapshot({ lastPollStartedAt: Option.some(T0) })
    assert.isTrue(liveness(s, allowance, T0 + allowance).alive)
    assert.isFalse(liveness(s, allowance, T0 + allowance + 1).alive)
  })
  it("counts from the process start before the first poll", () => {
    assert.isTrue(liveness(snapshot({}), allowance, T0 + MINUTE).alive)
    assert.isFalse(liveness(snapshot({}), allowance, T0 + allowance + 1).alive)
  })
})

describe("readiness", () => {
  it("is not ready before the first write", () => {
    assert.deepStrictEqual(readiness(snapshot({}), T0), {
      ready: false,
      reason: "no cache written yet by this process"
    })
  })
  it("says why the last write failed, while still ready on the previous cache", () => {
    const failing = snapshot({
      lastWrite: Option.some({ cache: cacheAt(T0), contents: "{}", writtenAt: T0 }),
      lastWriteError: Option.some("cannot write cache /cache/carbon_cache.json (write): ENOSPC")
    })
    const check = readiness(failing, T0 + MINUTE)
    assert.isTrue(check.ready)
    assert.match(check.lastWriteError ?? "", /ENOSPC/)
  })

  it("is ready while the written cache is within its TTL, and not after", () => {
    const written = snapshot({ lastWrite: Option.some({ cache: cacheAt(T0), contents: "{}", writtenAt: T0 }) })
    assert.isTrue(readiness(written, T0 + 10 * MINUTE - 1).ready)
    const expired = readiness(written, T0 + 10 * MINUTE)
    assert.isFalse(expired.ready)
    assert.match(expired.reason, /cache expired at 2024-01-01T12:10:00.000Z/)
  })
})

/** The endpoints on a free loopback port, over real HTTP, with PollStatus driven by the test. */
const endpoints = Effect.gen(function*() {
  const address = yield* serveOn("127.0.0.1", DEFAULT_HTTP_PORT, { anyPort: true })
  const port = address._tag === "TcpAddress" ? address.port : 0
  const client = (yield* HttpClient.HttpClient).pipe(
    HttpClient.mapRequest(HttpClientRequest.prependUrl(`http://127.0.0.1:${port}`))
  )
  const send = (method: "GET" | "HEAD" | "POST", path: string, headers: Record<string, string> = {}) =>
    Effect.flatMap(
      client.execute(HttpClientRequest.make(method)(path, { headers })),
      (response) => Effect.map(response.text, (body) => ({ status: response.status, headers: response.headers, body }))
    )
  const get = (path: string, headers: Record<string, string> = {}) => send("GET", path, headers)
  return { get, send, status: yield* PollStatus }
})

/** The layers live as long as the test, like they live as long as the service. */
const endpointLayers = (source = staticSource({})) =>
  Layer.mergeAll(PrometheusMetrics.Default, FetchHttpClient.layer, source, consumerPlatform()).pipe(
    Layer.provideMerge(PollStatus.Default),
    Layer.provideMerge(TestSettings.layer({ pollIntervalMinutes: 5 }))
  )
const EndpointLayers = endpointLayers()

describe("HTTP endpoints over loopback", () => {
  it.scopedLive("answer /readyz 503 with a reason before the first write, then 200", () =>
    Effect.gen(function*() {
      const { get, status } = yield* endpoints
      const before = yield* get("/readyz")
      assert.strictEqual(before.status, 503)
      assert.deepStrictEqual(JSON.parse(before.body), { ready: false, reason: "no cache written yet by this process" })
      const now = yield* Clock.currentTimeMillis
      yield* status.written({ cache: cacheAt(now), contents: "{}", writtenAt: now })
      assert.strictEqual((yield* get("/readyz")).status, 200)
      yield* status.written({ cache: cacheAt(now - 11 * MINUTE), contents: "{}", writtenAt: now - 11 * MINUTE })
      assert.strictEqual((yield* get("/readyz")).status, 503)
    }).pipe(Effect.provide(EndpointLayers)))

  it.scopedLive("answer /healthz 200 while polls keep starting and 503 when they stop", () =>
    Effect.gen(function*() {
      const { get, status } = yield* endpoints
      const now = yield* Clock.currentTimeMillis
      yield* status.pollStarted(now)
      assert.strictEqual((yield* get("/healthz")).status, 200)
      yield* status.pollStarted(now - 11 * MINUTE)
      const stuck = yield* get("/healthz")
      assert.strictEqual(stuck.status, 503)
      assert.isFalse(JSON.parse(stuck.body).alive)
    }).pipe(Effect.provide(EndpointLayers)))

  it.scopedLive("allow a poll the source's own request timeout past two intervals before /healthz says 503", () =>
    Effect.gen(function*() {
      const { get, status } = yield* endpoints
      const now = yield* Clock.currentTimeMillis
      // Two intervals of 5 minutes plus the source's 2 minutes: 12 minutes.
      yield* status.pollStarted(now - 11 * MINUTE)
      assert.strictEqual((yield* get("/healthz")).status, 200)
      yield* status.pollStarted(now - 13 * MINUTE)
      assert.strictEqual((yield* get("/healthz")).status, 503)
    }).pipe(Effect.provide(endpointLayers(staticSource({}, { requestTimeout: "2 minutes" })))))

  it.scopedLive("serve /cache as written, with ETag, max-age of the remaining TTL, and 304", () =>
    Effect.gen(function*() {
      const { get, status } = yield* endpoints
      assert.strictEqual((yield* get("/cache")).status, 503)
      const now = yield* Clock.currentTimeMillis
      const contents = `${JSON.stringify(cacheAt(now), null, 2)}\n`
      yield* status.written({ cache: cacheAt(now), contents, writtenAt: now })
      const first = yield* get("/cache")
      assert.strictEqual(first.status, 200)
      assert.strictEqual(first.body, contents)
      assert.strictEqual(first.headers["content-type"], "application/json")
      const maxAge = Number(/max-age=(\d+)/.exec(first.headers["cache-control"] ?? "")?.[1])
      assert.isTrue(maxAge > 590 && maxAge <= 600, String(maxAge))
      const etag = first.headers["etag"] ?? ""
      assert.match(etag, /^"[0-9a-f]{32}"$/)
      const again = yield* get("/cache", { "if-none-match": etag })
      assert.strictEqual(again.status, 304)
      assert.strictEqual(again.body, "")
      assert.notInclude(first.body, TestSettings.TEST_API_KEY)
    }).pipe(Effect.provide(EndpointLayers)))

  it.scopedLive("answer 404 for unknown paths and 405 with Allow: GET, HEAD for other methods", () =>
    Effect.gen(function*() {
      const { get, send } = yield* endpoints
      assert.strictEqual((yield* get("/nope")).status, 404)
      const post = yield* send("POST", "/cache")
      assert.strictEqual(post.status, 405)
      // HEAD is served (below), so the 405 must list it as allowed.
      assert.strictEqual(post.headers["allow"], "GET, HEAD")
      const head = yield* send("HEAD", "/healthz")
      assert.strictEqual(head.status, 200)
      assert.strictEqual(head.body, "")
    }).pipe(Effect.provide(EndpointLayers)))

  it.scopedLive("match If-None-Match lists and weak tags, and answer 200 to another tag", () =>
    Effect.gen(function*() {
      const { get, status } = yield* endpoints
      const now = yield* Clock.currentTimeMillis
      yield* status.written({ cache: cacheAt(now), contents: JSON.stringify(cacheAt(now)), writtenAt: now })
      const etag = (yield* get("/cache")).headers["etag"] ?? ""
      assert.strictEqual((yield* get("/cache", { "if-none-match": `"other", W/${etag}` })).status, 304)
      assert.strictEqual((yield* get("/cache", { "if-none-match": "*" })).status, 304)
      assert.strictEqual((yield* get("/cache", { "if-none-match": "\"other\"" })).status, 200)
    }).pipe(Effect.provide(EndpointLayers)))

  it.scopedLive("keep serving an expired cache with max-age=0 while /readyz says 503", () =>
    Effect.gen(function*() {
      const { get, status } = yield* endpoints
      const producedAt = (yield* Clock.currentTimeMillis) - 11 * MINUTE
      const contents = JSON.stringify(cacheAt(producedAt))
      yield* status.written({ cache: cacheAt(producedAt), contents, writtenAt: producedAt })
      const cache = yield* get("/cache")
      assert.strictEqual(cache.status, 200)
      assert.strictEqual(cache.body, contents)
      assert.strictEqual(cache.headers["cache-control"], "max-age=0")
      const ready = yield* get("/readyz")
      assert.strictEqual(ready.status, 503)
      assert.match(JSON.parse(ready.body).reason, /cache expired at/)
    }).pipe(Effect.provide(EndpointLayers)))

  it.scopedLive("stop with a message naming HTTP_PORT when the port is taken", () =>
    Effect.gen(function*() {
      const taken = yield* serveOn("127.0.0.1", DEFAULT_HTTP_PORT, { anyPort: true })
      const port = taken._tag === "TcpAddress" ? taken.port : 0
      const error = yield* Effect.flip(serveOn("127.0.0.1", port))
      assert.strictEqual(error._tag, "HttpPortUnavailable")
      assert.include(error.message, `HTTP_PORT=${port}`)
      assert.include(error.message, "EADDRINUSE")
    }).pipe(Effect.provide(EndpointLayers)))

  it.scopedLive("bind nothing when HTTP_PORT=0", () =>
    Effect.gen(function*() {
      // A listener that cannot even open a server: with HTTP_PORT=0 it is never asked for one.
      const unusable = Layer.succeed(HttpListener, {
        listen: () => Layer.die("the endpoints must not start with HTTP_PORT=0")
      })
      yield* Layer.build(HttpEndpoints.layer).pipe(
        Effect.provide(unusable),
        Effect.provide(TestSettings.layer({ httpPort: 0 }))
      )
    }).pipe(Effect.provide(EndpointLayers)))

  it.scopedLive("expose the service's metrics in Prometheus text format that promtool accepts", () =>
    Effect.gen(function*() {
      const { get } = yield* endpoints
      yield* Metrics.increment(Metrics.fetches, { zone: "FR", outcome: "ok" })
      yield* Metrics.increment(Metrics.fetches, { zone: "DE", outcome: "Unauthorized" })
      yield* Metrics.increment(Metrics.retries, { zone: "DE", reason: "ServerError" })
      // The per-zone intensity comes from the cache last written.
      const now = yield* Clock.currentTimeMillis
      yield* (yield* PollStatus).written({ cache: cacheAt(now), contents: "{}", writtenAt: now })
      yield* Metrics.set(Metrics.lastWriteTimestamp, {}, 1_700_000_000)
      yield* Metrics.set(Metrics.zonesConfigured, {}, 2)
      yield* Metrics.set(Metrics.zonesUsable, {}, 1)
      yield* Metric.update(Metrics.pollDuration, 0.2)
      const response = yield* get("/metrics")
      assert.strictEqual(response.status, 200)
      assert.match(response.headers["content-type"] ?? "", /^text\/plain; version=0\.0\.4/)
      const text = response.body
      assert.include(text, "# TYPE carbon_poller_fetches_total counter")
      assert.match(text, /carbon_poller_fetches_total\{zone="DE",outcome="Unauthorized"\} \d+/)
      assert.match(
        text,
        /carbon_poller_zone_carbon_intensity_grams_per_kwh\{zone="FR",emission_factor_type="lifecycle",estimated="true"\} 50/
      )
      assert.include(text, "# TYPE carbon_poller_poll_duration_seconds histogram")
      assert.include(text, "carbon_poller_last_write_timestamp_seconds 1700000000")
      assert.include(text, "carbon_poller_zones_usable 1")
      assert.notInclude(text, "effect_fiber")
      assert.notInclude(text, "# UNIT ", "the 0.0.4 text format has no UNIT lines")
      assert.notInclude(text, TestSettings.TEST_API_KEY)

      const promtool = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" })
      if (promtool.error && process.env["CI"] !== "true") {
        console.warn("promtool not installed here (Debian package prometheus); the check runs in CI")
        return
      }
      assert.isUndefined(promtool.error, "promtool must be installed in CI (see .ci/run)")
      assert.strictEqual(promtool.status, 0, `${promtool.stdout}${promtool.stderr}`)
    }).pipe(Effect.provide(EndpointLayers)))
})

describe("/metrics under many scrapers", () => {
  it.effect("renders at most once a second, however many requests arrive", () =>
    Effect.gen(function*() {
      let renders = 0
      const counting = Layer.succeed(
        PrometheusMetrics,
        PrometheusMetrics.make({ render: Effect.sync(() => `# rendered ${++renders}\n`) })
      )
      const status = yield* PollStatus
      const routes = yield* HttpEndpoints.makeRoutes.pipe(
        Effect.provide(
          Layer.mergeAll(counting, staticSource({}), consumerApiLayer()).pipe(Layer.provideMerge(TestSettings.layer()))
        )
      )
      const metricsRoute = routes.find((route) => route.path === "/metrics")!
      const scrape = metricsRoute.handler.pipe(
        Effect.provideService(
          HttpServerRequest.HttpServerRequest,
          HttpServerRequest.fromWeb(new Request("http://localhost/metrics"))
        )
      )
      yield* Effect.all(Array.from({ length: 50 }, () => scrape), { concurrency: "unbounded" })
      assert.strictEqual(renders, 1)
      yield* TestClock.adjust(HttpEndpoints.METRICS_RENDER_TTL)
      yield* scrape
      assert.strictEqual(renders, 2)
      // A poll that wrote makes the next scrape fresh at once, so /metrics never contradicts /cache.
      yield* scrape
      assert.strictEqual(renders, 2)
      const now = yield* Clock.currentTimeMillis
      yield* status.written({ cache: cacheAt(now), contents: "{}", writtenAt: now })
      yield* scrape
      assert.strictEqual(renders, 3)
    }).pipe(Effect.provide(PollStatus.Default)))
})
