/**
 * The HTTP endpoints for the people and probes around the service: liveness, readiness,
 * Prometheus metrics and the cache itself. One route table feeds the router, the 404 text and
 * the start-up log. The server itself comes from the platform's `HttpListener`
 * (src/platform/NodeHttpServer.ts in production, a loopback server or none in tests).
 */
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Clock, Duration, Effect, Layer, Option, Ref } from "effect"
import { HttpConfig } from "../config/HttpConfig.js"
import { PollingConfig } from "../config/PollingConfig.js"
import { CONTENT_TYPE as PROMETHEUS_CONTENT_TYPE, PrometheusMetrics } from "../observability/PrometheusExposition.js"
import { PollStatus } from "../poll/PollStatus.js"
import { SourceRegistry } from "../ports/SourceRegistry.js"
import * as CachedBody from "./CachedBody.js"
import { ConsumerApi } from "./ConsumerApi.js"
import { expiresAt, liveness, readiness } from "./Health.js"
import { HttpListener } from "./HttpListener.js"

const json = (body: unknown, status = 200) => HttpServerResponse.unsafeJson(body, { status })

export interface Route<R> {
  readonly path: HttpRouter.PathInput
  readonly about: string
  readonly handler: Effect.Effect<HttpServerResponse.HttpServerResponse, never, R>
}

export const METRICS_RENDER_TTL = Duration.seconds(1)

/** Every endpoint, in the order they are listed to people. */
export const makeRoutes = Effect.gen(function*() {
  const polling = yield* PollingConfig
  const source = yield* SourceRegistry
  const status = yield* PollStatus
  const metrics = yield* PrometheusMetrics
  const consumerApi = yield* ConsumerApi
  const livenessAllowance = 2 * polling.pollIntervalMinutes * 60_000 + Duration.toMillis(source.requestTimeout)

  // A probe always gets a body that says why, even from a bug: never a bare 500.
  const unjudged = (what: string) => (defect: unknown) =>
    Effect.as(
      Effect.logError(`cannot judge ${what}: ${defect instanceof Error ? defect.message : String(defect)}`),
      json({ [what === "readiness" ? "ready" : "alive"]: false, reason: `cannot judge ${what}; see the log` }, 503)
    )

  const healthz = Effect.gen(function*() {
    const check = liveness(yield* status.get, livenessAllowance, yield* Clock.currentTimeMillis)
    return json(check, check.alive ? 200 : 503)
  }).pipe(Effect.catchAllDefect(unjudged("liveness")))

  const readyz = Effect.gen(function*() {
    const check = readiness(yield* status.get, yield* Clock.currentTimeMillis)
    return json(check, check.ready ? 200 : 503)
  }).pipe(Effect.catchAllDefect(unjudged("readiness")))

  // Rendered at most once a second however many scrapers ask (a flood of /metrics requests must
  // not become a flood of renders competing with the poll loop), and again as soon as a poll has
  // written, so a scrape never contradicts the cache `/cache` serves.
  const lastRender = yield* Ref.make(
    Option.none<{ readonly at: number; readonly key: string; readonly text: string }>()
  )
  const oneRender = yield* Effect.makeSemaphore(1)
  const renderMetrics = oneRender.withPermits(1)(Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const snapshot = yield* status.get
    const key = `${Option.getOrElse(snapshot.lastPollStartedAt, () => 0)}/${
      Option.match(snapshot.lastWrite, { onNone: () => 0, onSome: (written) => written.writtenAt })
    }`
    const cached = yield* Ref.get(lastRender)
    if (
      Option.isSome(cached) && cached.value.key === key && now - cached.value.at < Duration.toMillis(METRICS_RENDER_TTL)
    ) {
      return cached.value.text
    }
    const text = yield* metrics.render
    yield* Ref.set(lastRender, Option.some({ at: now, key, text }))
    return text
  }))
  const metricsText = renderMetrics.pipe(
    Effect.map((text) => HttpServerResponse.text(text, { contentType: PROMETHEUS_CONTENT_TYPE })),
    Effect.catchAllDefect((defect) =>
      Effect.as(
        Effect.logError(`cannot render /metrics: ${defect instanceof Error ? defect.stack : String(defect)}`),
        json({ error: "cannot render metrics" }, 500)
      )
    )
  )

  const cache = Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const snapshot = yield* status.get
    if (Option.isNone(snapshot.lastWrite)) return json({ error: "no cache written yet by this process" }, 503)
    const written = snapshot.lastWrite.value
    // Consumers may keep it exactly as long as the file itself stays valid.
    const body = {
      contents: written.contents,
      etag: CachedBody.etagOf(written.contents),
      expiresAt: expiresAt(written)
    }
    return CachedBody.respond(request, body, yield* Clock.currentTimeMillis)
  })

  return [
    { path: "/healthz", about: "liveness: polls keep starting", handler: healthz },
    { path: "/readyz", about: "readiness: a cache written by this process is within its TTL", handler: readyz },
    { path: "/metrics", about: "Prometheus metrics", handler: metricsText },
    { path: "/cache", about: "the cache file's exact bytes, with ETag", handler: cache },
    ...consumerApi.routes
  ] satisfies ReadonlyArray<Route<HttpServerRequest.HttpServerRequest>>
})

/** The methods every route answers: HEAD too, which the router serves from the GET route. */
export const ALLOWED_METHODS = "GET, HEAD"

export const makeRouter = Effect.map(makeRoutes, (routes) => {
  const paths = new Set<string>(routes.map((route) => route.path))
  const known = routes.map((route) => route.path)
  return routes
    .reduce((router, route) => HttpRouter.get(router, route.path, route.handler), HttpRouter.empty)
    .pipe(
      Effect.catchTag("RouteNotFound", (error) =>
        Effect.succeed(
          paths.has(new URL(error.request.url, "http://localhost").pathname)
            ? HttpServerResponse.unsafeJson({ error: "method not allowed; use GET or HEAD" }, {
              status: 405,
              headers: { allow: ALLOWED_METHODS }
            })
            : json({ error: `not found; try ${known.slice(0, -1).join(", ")} or ${known.at(-1)}` }, 404)
        ))
    )
})

/** Serves the route table on the `HttpServer` in context for the life of the layer. */
const serveRoutes = Layer.unwrapEffect(
  Effect.gen(function*() {
    const routes = yield* makeRoutes
    const router = yield* makeRouter
    const announce = Layer.effectDiscard(
      Effect.flatMap(HttpServer.HttpServer, (server) =>
        Effect.log(
          `HTTP endpoints on ${HttpServer.formatAddress(server.address)}: ${
            routes.map((route) => `${route.path} (${route.about})`).join(", ")
          }`
        ))
    )
    // No span per request: nothing exports traces, and building one (the URL parsed, the headers
    // redacted and copied into attributes) cost more than answering a read-API request.
    return Layer.merge(HttpServer.serve(router).pipe(HttpMiddleware.withTracerDisabledWhen(() => true)), announce)
  })
)

/**
 * The endpoints on `HTTP_HOST:HTTP_PORT` for the life of the layer, on a server the platform
 * opens for them; nothing at all, not even a socket, with `HTTP_PORT=0`.
 */
export const layer = Layer.unwrapEffect(
  Effect.gen(function*() {
    const { httpHost, httpPort } = yield* HttpConfig
    if (httpPort === 0) return Layer.empty
    const listener = yield* HttpListener
    // The read API (and the history it records) lives with the endpoints: none with HTTP_PORT=0.
    return serveRoutes.pipe(
      Layer.provide(listener.listen({ host: httpHost, port: httpPort })),
      Layer.provide(ConsumerApi.Default)
    )
  })
)
