import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Option, Schema, Scope, Stream, TestClock } from "effect"
import { FaultRule } from "../../src/simulator/Fault.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import { decodeLatest, get, getJson, latestUrl, provideClient } from "./support.js"

const statusOf = (url: string) => Effect.map(get(url), (response) => response.status)

describe("Simulator faults", () => {
  it("fills fault defaults from the schema", () => {
    const rule = Schema.decodeUnknownSync(FaultRule)({ fault: { kind: "huge-body" } })
    assert.deepStrictEqual(rule, {
      fault: { kind: "huge-body", bytes: 50 * 1024 * 1024, declareLength: false },
      when: "always"
    })
    assert.throws(() => Schema.decodeUnknownSync(FaultRule)({ fault: { kind: "server-error", status: 404 } }))
    assert.throws(() => Schema.decodeUnknownSync(FaultRule)({ fault: { kind: "hang" }, when: { probability: 2 } }))
  })

  it.scoped("answers 5xx for the next N requests, then recovers", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({
        faults: [{ fault: { kind: "server-error", status: 503 }, when: { next: 2 } }]
      })
      const url = latestUrl(sim.baseUrl, "DE")
      assert.deepStrictEqual(yield* Effect.forEach([1, 2, 3], () => statusOf(url)), [503, 503, 200])
      assert.deepStrictEqual(yield* sim.faults(), [])
      assert.strictEqual((yield* sim.stats()).faultHits["server-error"], 2)
    }).pipe(provideClient))

  it.scoped("applies zone faults to that zone only, and before global ones", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({})
      yield* sim.addFault({ fault: { kind: "server-error" } })
      yield* sim.addFault({ fault: { kind: "no-recent-data" }, zone: "FR" })
      assert.strictEqual(yield* statusOf(latestUrl(sim.baseUrl, "DE")), 500)
      assert.deepStrictEqual(yield* getJson(latestUrl(sim.baseUrl, "FR")), {
        status: 404,
        body: { error: "No recent data for zone \"FR\"" }
      })
      // Latest faults leave /zones alone unless asked.
      assert.strictEqual(yield* statusOf(`${sim.baseUrl}/zones`), 200)
      yield* sim.setFaults([{ fault: { kind: "server-error", status: 502 }, endpoint: "zones" }])
      assert.strictEqual(yield* statusOf(`${sim.baseUrl}/zones`), 502)
      assert.strictEqual(yield* statusOf(latestUrl(sim.baseUrl, "DE")), 200)
    }).pipe(provideClient))

  it.scoped("answers 429 with Retry-After in seconds or as an HTTP date", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2024-03-06T19:30:00.000Z"))
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "rate-limit-429", retryAfterSeconds: 7 } }] })
      const seconds = yield* get(latestUrl(sim.baseUrl, "DE"))
      assert.strictEqual(seconds.status, 429)
      assert.strictEqual(seconds.headers["retry-after"], "7")
      yield* sim.setFaults([{ fault: { kind: "rate-limit-429", retryAfterSeconds: 7, retryAfterFormat: "http-date" } }])
      const date = yield* get(latestUrl(sim.baseUrl, "DE"))
      assert.strictEqual(date.headers["retry-after"], "Wed, 06 Mar 2024 19:30:07 GMT")
    }).pipe(provideClient))

  it.scoped("answers rate limits with 401 as the real API does", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "rate-limit-401" } }] })
      assert.deepStrictEqual(yield* getJson(latestUrl(sim.baseUrl, "DE")), {
        status: 401,
        body: { error: "Rate limit exceeded" }
      })
    }).pipe(provideClient))

  it.scoped("serves the recorded non-JSON body and a proxy's HTML 502", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "invalid-json" }, when: { next: 1 } }] })
      const invalid = yield* get(latestUrl(sim.baseUrl, "US-MIDW-MISO"))
      assert.strictEqual(invalid.status, 200)
      assert.strictEqual(yield* invalid.text, "{\"error\":\"No recent data for zone \"US-MIDW-MISO\"\"}")

      yield* sim.addFault({ fault: { kind: "html-502" } })
      const html = yield* get(latestUrl(sim.baseUrl, "DE"))
      assert.strictEqual(html.status, 502)
      assert.strictEqual(html.headers["content-type"], "text/html")
      assert.strictEqual(yield* html.text, "<html><body><h1>502 Bad Gateway</h1></body></html>")
    }).pipe(provideClient))

  it.scoped("sends carbonIntensity: null", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "null-intensity" }, zone: "DE" }] })
      const { body, status } = yield* getJson(latestUrl(sim.baseUrl, "DE"))
      assert.strictEqual(status, 200)
      assert.strictEqual((yield* decodeLatest(body)).carbonIntensity, null)
    }).pipe(provideClient))

  it.scoped("streams a huge body of exactly the configured size", () =>
    Effect.gen(function*() {
      const bytes = 3 * 1024 * 1024 + 17
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "huge-body", bytes, declareLength: true } }] })
      const response = yield* get(latestUrl(sim.baseUrl, "DE"))
      assert.strictEqual(response.headers["content-length"], String(bytes))
      const received = yield* response.stream.pipe(Stream.runFold(0, (n, chunk) => n + chunk.length))
      assert.strictEqual(received, bytes)
    }).pipe(provideClient))

  it.scoped("streams an endless body until the client leaves", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "endless-body" } }] })
      const response = yield* get(latestUrl(sim.baseUrl, "DE"))
      const received = yield* response.stream.pipe(
        Stream.scan(0, (n, chunk) => n + chunk.length),
        Stream.takeUntil((n) => n >= 4 * 1024 * 1024),
        Stream.runLast
      )
      assert.isTrue(Option.getOrElse(received, () => 0) >= 4 * 1024 * 1024)
      // Leaving the stream closes the connection, which ends the answer on the server.
      const stats = yield* sim.awaitStats((s) => s.inFlight === 0)
      assert.strictEqual(stats.faultHits["endless-body"], 1)
    }).pipe(provideClient))

  it.scoped("fires probabilistic faults from the seed, the same way every run", () =>
    Effect.gen(function*() {
      const statuses = (seed: number) =>
        Effect.gen(function*() {
          const sim = yield* Simulator.start({
            seed,
            faults: [{ fault: { kind: "server-error" }, when: { probability: 0.5 } }]
          })
          return yield* Effect.forEach(Array.from({ length: 24 }), () => statusOf(latestUrl(sim.baseUrl, "DE")))
        })
      const first = yield* statuses(9)
      assert.deepStrictEqual(yield* statuses(9), first)
      assert.include(first, 200)
      assert.include(first, 500)
    }).pipe(provideClient))

  it.scopedLive("delays answers by latency faults and the baseline latency", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({
        latencyMs: 5,
        jitterMs: 5,
        faults: [{ fault: { kind: "latency", ms: 10, jitterMs: 5 }, zone: "DE" }]
      })
      assert.strictEqual(yield* statusOf(latestUrl(sim.baseUrl, "DE")), 200)
      assert.strictEqual(yield* statusOf(latestUrl(sim.baseUrl, "FR")), 200)
      // A latency fault delays; it does not choose the answer, so one with a 5xx fires alongside.
      yield* sim.addFault({ fault: { kind: "server-error" }, zone: "DE", when: { next: 1 } })
      assert.strictEqual(yield* statusOf(latestUrl(sim.baseUrl, "DE")), 500)
      assert.deepStrictEqual((yield* sim.stats()).faultHits, { latency: 2, "server-error": 1 })
    }).pipe(provideClient))

  it.scopedLive("trickles a slow body that still decodes", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ faults: [{ fault: { kind: "slow", chunkBytes: 32, intervalMs: 1 } }] })
      const { body, status } = yield* getJson(latestUrl(sim.baseUrl, "DE"))
      assert.strictEqual(status, 200)
      assert.strictEqual((yield* decodeLatest(body)).zone, "DE")
    }).pipe(provideClient))

  it.scoped("hangs without blocking the scope's close, counting every request in flight", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const sim = yield* Scope.extend(Simulator.start({ faults: [{ fault: { kind: "hang" } }] }), scope)
      const hanging = yield* Effect.fork(
        Effect.forEach(["DE", "FR", "PL"], (zone) => Effect.either(get(latestUrl(sim.baseUrl, zone))), {
          concurrency: "unbounded"
        })
      )
      const busy = yield* sim.awaitStats((s) => s.inFlight === 3)
      assert.strictEqual(busy.maxInFlight, 3)
      // Over HTTP too: control requests are not counted as API traffic.
      const overHttp = yield* getJson(`${sim.origin}/__simulator/stats`)
      assert.strictEqual((overHttp.body as Simulator.SimulatorStats).inFlight, 3)

      yield* Scope.close(scope, Exit.void)
      const outcomes = yield* Fiber.join(hanging)
      assert.isTrue(outcomes.every((outcome) => outcome._tag === "Left"))
      const after = yield* sim.awaitStats((s) => s.inFlight === 0)
      assert.strictEqual(after.maxInFlight, 3)
      assert.strictEqual(after.faultHits["hang"], 3)
    }).pipe(provideClient))
})
