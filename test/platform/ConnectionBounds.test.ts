/**
 * The kubelet always gets an answer: connections that send nothing, however many, cannot keep
 * `/healthz` and `/readyz` from answering, and the bound on connections closes an older idle one
 * rather than refuse a newcomer. Real sockets on loopback; no timing is asserted beyond a generous
 * client deadline.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { createServer, request, type Server } from "node:http"
import { connect, type Socket } from "node:net"
import { PrometheusMetrics } from "../../src/observability/PrometheusExposition.js"
import { guardConnections } from "../../src/platform/ConnectionGuard.js"
import * as NodeServer from "../../src/platform/NodeHttpServer.js"
import { PollStatus } from "../../src/poll/PollStatus.js"
import { consumerPlatform } from "../support/consumer.js"
import { loopbackEndpoints } from "../support/loopbackEndpoints.js"
import * as TestSettings from "../support/settings.js"
import { staticSource } from "../support/StaticSource.js"

/** A GET on a fresh connection: the status, or the error's code; "timeout" after `timeoutMillis`. */
const get = (port: number, path: string, timeoutMillis: number): Promise<number | string> =>
  new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (response) => {
      response.resume()
      response.on("end", () => resolve(response.statusCode ?? 0))
    })
    const timer = setTimeout(() => {
      req.destroy()
      resolve("timeout")
    }, timeoutMillis)
    req.on("close", () => clearTimeout(timer))
    req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"))
    req.end()
  })

/** `count` connections that connect and then send nothing; resolves once all are established. */
const silentConnections = (port: number, count: number): Promise<Array<Socket>> =>
  Promise.all(
    Array.from({ length: count }, () =>
      new Promise<Socket>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", () => resolve(socket))
        socket.on("error", reject)
      }))
  )

const closed = (socket: Socket): Promise<void> =>
  new Promise((resolve) => (socket.destroyed ? resolve() : socket.once("close", () => resolve())))

/** The endpoints on Node's bounded server on a free loopback port, for the life of the scope. */
const endpointsPort = loopbackEndpoints.pipe(
  Effect.provide(
    Layer.mergeAll(PrometheusMetrics.Default, staticSource({}), consumerPlatform()).pipe(
      Layer.provideMerge(PollStatus.Default),
      Layer.provideMerge(TestSettings.layer({ pollIntervalMinutes: 5, httpHost: "127.0.0.1", httpPort: 1 }))
    )
  )
)

const closeAll = (sockets: ReadonlyArray<Socket>) => Effect.sync(() => sockets.forEach((socket) => socket.destroy()))

describe("the endpoints' connection bounds", () => {
  it.scopedLive("answer /healthz and /readyz while 300 connections sit open sending nothing", () =>
    Effect.gen(function*() {
      const port = yield* endpointsPort
      const held = yield* Effect.acquireRelease(Effect.promise(() => silentConnections(port, 300)), closeAll)
      const healthz = yield* Effect.promise(() => get(port, "/healthz", 10_000))
      const readyz = yield* Effect.promise(() => get(port, "/readyz", 10_000))
      assert.strictEqual(healthz, 200)
      // Not ready (nothing written yet), but answered.
      assert.strictEqual(readyz, 503)
      assert.isTrue(held.some((socket) => !socket.destroyed), "the held connections were not all refused")
    }))

  it.scopedLive("close a connection that never sends a byte once it has been idle", () =>
    Effect.gen(function*() {
      const port = yield* endpointsPort
      const [silent] = yield* Effect.acquireRelease(Effect.promise(() => silentConnections(port, 1)), closeAll)
      const outcome = yield* Effect.promise(() =>
        Promise.race([
          closed(silent!).then(() => "closed"),
          new Promise((resolve) => setTimeout(() => resolve("still open"), NodeServer.IDLE_TIMEOUT_MILLIS + 20_000))
        ])
      )
      assert.strictEqual(outcome, "closed")
    }))
})

/** A plain Node server with the guard: `/healthz` answers at once, other paths only when released. */
const guardedServer = (maxConnections: number) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Server; readonly port: number; readonly evicted: () => number }>((resume) => {
      const server = createServer((req, res) => {
        if (req.url === "/healthz") res.end("ok")
        // Everything else hangs until its connection is closed: a request "in flight".
      })
      const evicted = guardConnections(server, maxConnections)
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        resume(
          Effect.succeed({ server, port: typeof address === "object" && address !== null ? address.port : 0, evicted })
        )
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

describe("the connection guard", () => {
  it.scopedLive("at the bound lets a newcomer in and closes the oldest idle connection instead", () =>
    Effect.gen(function*() {
      const { evicted, port } = yield* guardedServer(5)
      const held = yield* Effect.acquireRelease(Effect.promise(() => silentConnections(port, 5)), closeAll)
      const answer = yield* Effect.promise(() => get(port, "/healthz", 10_000))
      assert.strictEqual(answer, 200)
      yield* Effect.promise(() => closed(held[0]!))
      assert.isFalse(held.slice(1).some((socket) => socket.destroyed))
      assert.strictEqual(evicted(), 1)
    }))

  it.scopedLive("never closes a connection serving a probe; one serving anything else goes first", () =>
    Effect.gen(function*() {
      const { evicted, port } = yield* guardedServer(3)
      const pause = Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 200)))
      const settled = (answer: Promise<number | string>) =>
        Effect.promise(() =>
          Promise.race([answer, new Promise((resolve) => setTimeout(() => resolve("in flight"), 100))])
        )
      // Three requests in flight: a probe this server is slow to answer (`/readyz`), then /metrics
      // and /cache, which hang.
      const readyz = get(port, "/readyz", 30_000)
      yield* pause
      const metrics = get(port, "/metrics", 30_000)
      yield* pause
      const cache = get(port, "/cache", 30_000)
      yield* pause
      // A probe arrives at the bound: the oldest request in flight that is not a probe makes room.
      assert.strictEqual(yield* Effect.promise(() => get(port, "/healthz", 10_000)), 200)
      assert.strictEqual(yield* Effect.promise(() => metrics), "ECONNRESET")
      assert.strictEqual(yield* settled(cache), "in flight")
      // At the bound again: the next oldest that is not a probe, never the probe.
      const other = get(port, "/other", 30_000)
      yield* pause
      assert.strictEqual(yield* Effect.promise(() => get(port, "/healthz", 10_000)), 200)
      assert.strictEqual(yield* Effect.promise(() => cache), "ECONNRESET")
      assert.strictEqual(yield* settled(other), "in flight")
      assert.strictEqual(yield* settled(readyz), "in flight")
      assert.strictEqual(evicted(), 2)
    }))
})
