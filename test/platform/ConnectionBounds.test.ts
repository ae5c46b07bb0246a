/**
 * The kubelet always gets an answer: connections that send nothing, however many, cannot keep
 * `/healthz` and `/readyz` from answering. At the bound on connections, a newcomer from another
 * client is let in at the expense of the client holding the most, while that client's own newcomer
 * is refused unless one of its connections has idled. Real sockets on loopback (127.0.0.1 holds,
 * 127.0.0.2 and 127.0.0.3 are other clients); no timing is asserted beyond a generous client
 * deadline, and the guard's idle clock is a stand-in the tests move.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { createServer, request, type Server } from "node:http"
import { connect, type Socket } from "node:net"
import { PrometheusMetrics } from "../../src/observability/PrometheusExposition.js"
import { guardConnections, type GuardCounts } from "../../src/platform/ConnectionGuard.js"
import * as NodeServer from "../../src/platform/NodeHttpServer.js"
import { PollStatus } from "../../src/poll/PollStatus.js"
import { consumerPlatform } from "../support/consumer.js"
import { loopbackEndpoints } from "../support/loopbackEndpoints.js"
import * as TestSettings from "../support/settings.js"
import { staticSource } from "../support/StaticSource.js"

/**
 * A GET on a fresh connection: the status, or the error's code; "timeout" after `timeoutMillis`.
 * `from` is the source address: 127.0.0.2 stands for the kubelet, a client other than the one
 * holding connections from 127.0.0.1.
 */
const get = (port: number, path: string, timeoutMillis: number, from = "127.0.0.1"): Promise<number | string> =>
  new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, localAddress: from }, (response) => {
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

/**
 * `count` connections from `from` that connect and then send nothing, one after another (so the
 * guard sees them in this order); resolves once each is connected or refused.
 */
const silentConnections = async (port: number, count: number, from = "127.0.0.1"): Promise<Array<Socket>> => {
  const sockets: Array<Socket> = []
  for (let i = 0; i < count; i++) {
    sockets.push(
      await new Promise<Socket>((resolve) => {
        const socket = connect({ port, host: "127.0.0.1", localAddress: from }, () => resolve(socket))
        // Silent, not deaf: what the server sends (a 408 when its request timeout closes the
        // connection first) is read and dropped, or a paused socket holding those bytes would never
        // see the end of the stream and would look open after the server closed it.
        socket.resume()
        socket.on("error", () => resolve(socket))
      })
    )
  }
  return sockets
}

const closed = (socket: Socket): Promise<void> =>
  new Promise((resolve) => (socket.destroyed ? resolve() : socket.once("close", () => resolve())))
/** "closed" once `socket` closes, or "open" if it is still open after 5 s. */
const closedSoon = (socket: Socket) =>
  Effect.promise(() =>
    Promise.race([
      closed(socket).then(() => "closed"),
      new Promise((resolve) => setTimeout(() => resolve("open"), 5_000))
    ])
  )

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
  it.scopedLive("answer /healthz and /readyz while 200 connections sit open sending nothing (128 used to lock them out)", () =>
    Effect.gen(function*() {
      const port = yield* endpointsPort
      const held = yield* Effect.acquireRelease(Effect.promise(() => silentConnections(port, 200)), closeAll)
      const healthz = yield* Effect.promise(() => get(port, "/healthz", 10_000))
      const readyz = yield* Effect.promise(() => get(port, "/readyz", 10_000))
      assert.strictEqual(healthz, 200)
      // Not ready (nothing written yet), but answered.
      assert.strictEqual(readyz, 503)
      assert.isTrue(held.some((socket) => !socket.destroyed), "the held connections were not all refused")
    }))

  it.scopedLive("answer another client's probes while more silent connections than the bound are held", () =>
    Effect.gen(function*() {
      const port = yield* endpointsPort
      yield* Effect.acquireRelease(
        Effect.promise(() => silentConnections(port, NodeServer.MAX_CONNECTIONS + 50)),
        closeAll
      )
      assert.strictEqual(yield* Effect.promise(() => get(port, "/healthz", 10_000, "127.0.0.2")), 200)
      assert.strictEqual(yield* Effect.promise(() => get(port, "/readyz", 10_000, "127.0.0.2")), 503)
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
const guardedServer = (maxConnections: number, clock: { now: number } = { now: 0 }) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Server; readonly port: number; readonly counts: () => GuardCounts }>((resume) => {
      const server = createServer((req, res) => {
        if (req.url === "/healthz") res.end("ok")
        // Everything else hangs until its connection is closed: a request "in flight".
      })
      const counts = guardConnections(server, { maxConnections, idleEvictableAfterMillis: 1_000, now: () => clock.now })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        resume(
          Effect.succeed({ server, port: typeof address === "object" && address !== null ? address.port : 0, counts })
        )
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const pause = Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 200)))
/** The outcome of a request if it has settled within 100 ms, else "in flight". */
const settled = (answer: Promise<number | string>) =>
  Effect.promise(() => Promise.race([answer, new Promise((resolve) => setTimeout(() => resolve("in flight"), 100))]))

describe("the connection guard", () => {
  it.scopedLive("at the bound lets another client in and closes the oldest idle connection of the heaviest", () =>
    Effect.gen(function*() {
      const { counts, port } = yield* guardedServer(5)
      // A light client first (its connection is the oldest of all), then the heavy one.
      const light = yield* Effect.acquireRelease(
        Effect.promise(() => silentConnections(port, 1, "127.0.0.3")),
        closeAll
      )
      const heavy = yield* Effect.acquireRelease(Effect.promise(() => silentConnections(port, 4)), closeAll)
      assert.strictEqual(yield* Effect.promise(() => get(port, "/healthz", 10_000, "127.0.0.2")), 200)
      assert.strictEqual(yield* closedSoon(heavy[0]!), "closed")
      assert.isFalse(light[0]!.destroyed, "the light client's connection was closed")
      assert.isFalse(heavy.slice(1).some((socket) => socket.destroyed))
      assert.deepStrictEqual(counts(), { evicted: 1, refused: 0 })
    }))

  it.scopedLive("a newcomer from the heaviest client replaces only its connection idle for a second, else is refused unread", () =>
    Effect.gen(function*() {
      const clock = { now: 0 }
      const { counts, port } = yield* guardedServer(5, clock)
      const light = yield* Effect.acquireRelease(
        Effect.promise(() => silentConnections(port, 1, "127.0.0.3")),
        closeAll
      )
      const held = yield* Effect.acquireRelease(Effect.promise(() => silentConnections(port, 4)), closeAll)
      // Fresh connections from the client holding the most: refused before anything is read.
      assert.strictEqual(yield* Effect.promise(() => get(port, "/healthz", 10_000)), "ECONNRESET")
      assert.deepStrictEqual(counts(), { evicted: 0, refused: 1 })
      // Once its held connections have sat idle for a second, its newcomer takes its own oldest's place.
      clock.now = 1_000
      assert.strictEqual(yield* Effect.promise(() => get(port, "/healthz", 10_000)), 200)
      assert.strictEqual(yield* closedSoon(held[0]!), "closed")
      assert.isFalse(light[0]!.destroyed, "another client's connection was closed")
      assert.deepStrictEqual(counts(), { evicted: 1, refused: 1 })
    }))

  it.scopedLive("never closes a connection serving a probe; one serving anything else goes first", () =>
    Effect.gen(function*() {
      const { counts, port } = yield* guardedServer(3)
      // Three requests in flight from one client: a probe this server is slow to answer
      // (`/readyz`), then /metrics and /cache, which hang.
      const readyz = get(port, "/readyz", 30_000)
      yield* pause
      const metrics = get(port, "/metrics", 30_000)
      yield* pause
      const cache = get(port, "/cache", 30_000)
      yield* pause
      // Another client's probe at the bound: the oldest request in flight that is not a probe makes room.
      assert.strictEqual(yield* Effect.promise(() => get(port, "/healthz", 10_000, "127.0.0.2")), 200)
      assert.strictEqual(yield* Effect.promise(() => metrics), "ECONNRESET")
      assert.strictEqual(yield* settled(cache), "in flight")
      // At the bound again: the next oldest that is not a probe, never the probe.
      const other = get(port, "/other", 30_000)
      yield* pause
      assert.strictEqual(yield* Effect.promise(() => get(port, "/healthz", 10_000, "127.0.0.2")), 200)
      assert.strictEqual(yield* Effect.promise(() => cache), "ECONNRESET")
      assert.strictEqual(yield* settled(other), "in flight")
      assert.strictEqual(yield* settled(readyz), "in flight")
      assert.strictEqual(counts().evicted, 2)
    }))
})
