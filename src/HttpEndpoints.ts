/**
 * The service's HTTP endpoints for the people and probes around it: liveness, readiness,
 * Prometheus metrics and the cache itself. Served on `HTTP_PORT` (0 disables) with
 * @effect/platform's HTTP server on Node.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { createHash } from "node:crypto"
import { createServer } from "node:http"
import { Clock, Context, Data, Duration, Effect, Layer, Option, type Scope } from "effect"
import { PollerConfig, type Settings } from "./Config.js"
import { CONTENT_TYPE as PROMETHEUS_CONTENT_TYPE, PrometheusMetrics } from "./MetricsExport.js"
import { PollStatus, type StatusSnapshot, type WrittenCache } from "./PollStatus.js"
import { parseCacheTimestamp } from "./Timestamps.js"

export class HttpPortUnavailable extends Data.TaggedError("HttpPortUnavailable")<{
  readonly host: string
  readonly port: number
  readonly cause: unknown
}> {
  override get message(): string {
    const detail = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `cannot listen on ${this.host}:${this.port} (HTTP_PORT=${this.port}, HTTP_HOST=${this.host}): ${detail}; free the port, choose another with HTTP_PORT, or set HTTP_PORT=0 to disable the endpoints`
  }
}

const MILLIS_PER_MINUTE = 60_000

/** When the cache file says it stops being valid: its own `timestamp` plus `ttl_minutes`. */
export const expiresAt = (written: WrittenCache): number =>
  (parseCacheTimestamp(written.cache.timestamp) ?? written.writtenAt) + written.cache.ttl_minutes * MILLIS_PER_MINUTE

/**
 * Alive while polls keep starting: the last one (or the process start, before the first) within
 * two intervals plus the request timeout. A stuck loop fails this; a failing API does not.
 */
export const liveness = (snapshot: StatusSnapshot, settings: Settings, now: number) => {
  const allowance = 2 * settings.pollIntervalMinutes * MILLIS_PER_MINUTE + Duration.toMillis(settings.requestTimeout)
  const last = Option.getOrElse(snapshot.lastPollStartedAt, () => snapshot.startedAt)
  const sinceLastPollStart = now - last
  return { alive: sinceLastPollStart <= allowance, sinceLastPollStartMillis: sinceLastPollStart, allowanceMillis: allowance }
}

/**
 * Ready once this process has written a cache that is still within its TTL. When the last write
 * failed, the answer says why, so a failing disk shows up in the probe before the cache expires.
 */
export const readiness = (
  snapshot: StatusSnapshot,
  now: number
): { readonly ready: boolean; readonly reason: string; readonly lastWriteError?: string } => {
  const lastWriteError = Option.match(snapshot.lastWriteError, { onNone: () => ({}), onSome: (error) => ({ lastWriteError: error }) })
  return Option.match(snapshot.lastWrite, {
    onNone: () => ({ ready: false, reason: "no cache written yet by this process", ...lastWriteError }),
    onSome: (written) => {
      const expiry = new Date(expiresAt(written)).toISOString()
      return now < expiresAt(written)
        ? { ready: true, reason: `cache valid until ${expiry}`, ...lastWriteError }
        : { ready: false, reason: `cache expired at ${expiry}: no poll has written since`, ...lastWriteError }
    }
  })
}

const json = (body: unknown, status = 200) => HttpServerResponse.unsafeJson(body, { status })

const etagOf = (contents: string) => `"${createHash("sha256").update(contents).digest("hex").slice(0, 32)}"`

/** `If-None-Match` compares weakly (RFC 9110 13.1.2): a list of tags, `W/` ignored, or `*`. */
const matchesIfNoneMatch = (header: string | undefined, etag: string): boolean =>
  header !== undefined &&
  header.split(",").some((candidate) => {
    const tag = candidate.trim()
    return tag === "*" || tag.replace(/^W\//, "") === etag
  })

const KNOWN_PATHS = new Set(["/healthz", "/readyz", "/metrics", "/cache"])

export const makeRouter = Effect.gen(function* () {
  const settings = yield* PollerConfig
  const status = yield* PollStatus
  const metrics = yield* PrometheusMetrics

  const healthz = Effect.gen(function* () {
    const check = liveness(yield* status.get, settings, yield* Clock.currentTimeMillis)
    return json(check, check.alive ? 200 : 503)
  })

  const readyz = Effect.gen(function* () {
    const check = readiness(yield* status.get, yield* Clock.currentTimeMillis)
    return json(check, check.ready ? 200 : 503)
  })

  const metricsText = metrics.render.pipe(
    Effect.map((text) => HttpServerResponse.text(text, { contentType: PROMETHEUS_CONTENT_TYPE })),
    Effect.catchAllDefect((defect) =>
      Effect.as(Effect.logError(`cannot render /metrics: ${defect instanceof Error ? defect.stack : String(defect)}`), json({ error: "cannot render metrics" }, 500))
    )
  )

  const cache = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const snapshot = yield* status.get
    if (Option.isNone(snapshot.lastWrite)) return json({ error: "no cache written yet by this process" }, 503)
    const written = snapshot.lastWrite.value
    const now = yield* Clock.currentTimeMillis
    const etag = etagOf(written.contents)
    // Consumers may keep it exactly as long as the file itself stays valid.
    const headers = { etag, "cache-control": `max-age=${Math.max(0, Math.floor((expiresAt(written) - now) / 1000))}` }
    if (matchesIfNoneMatch(request.headers["if-none-match"], etag)) return HttpServerResponse.empty({ status: 304, headers })
    return HttpServerResponse.text(written.contents, { contentType: "application/json", headers })
  })

  return HttpRouter.empty.pipe(
    HttpRouter.get("/healthz", healthz),
    HttpRouter.get("/readyz", readyz),
    HttpRouter.get("/metrics", metricsText),
    HttpRouter.get("/cache", cache),
    Effect.catchTag("RouteNotFound", (error) =>
      Effect.succeed(
        KNOWN_PATHS.has(new URL(error.request.url, "http://localhost").pathname)
          ? HttpServerResponse.unsafeJson({ error: "method not allowed; use GET" }, { status: 405, headers: { allow: "GET" } })
          : json({ error: "not found; try /healthz, /readyz, /metrics or /cache" }, 404)
      )
    )
  )
})

/** Serves the endpoints on `host:port` (0 = any free port) for the life of the enclosing scope. */
export const serveOn = (host: string, port: number) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(NodeHttpServer.layer(() => createServer(), { port, host })).pipe(
      Effect.mapError((error) => new HttpPortUnavailable({ host, port, cause: error.cause }))
    )
    const server = Context.get(context, HttpServer.HttpServer)
    yield* server.serve(yield* makeRouter)
    yield* Effect.log(`HTTP endpoints on ${HttpServer.formatAddress(server.address)}: /healthz /readyz /metrics /cache`)
    return server.address
  })

/**
 * Starts the endpoints on `HTTP_HOST:HTTP_PORT`; does nothing when `HTTP_PORT=0`. A port that
 * cannot be bound is fatal: the probes would fail anyway, so better to say why at once.
 */
export const serve: Effect.Effect<void, HttpPortUnavailable, PollerConfig | PollStatus | PrometheusMetrics | Scope.Scope> =
  Effect.gen(function* () {
    const settings = yield* PollerConfig
    if (settings.httpPort !== 0) yield* serveOn(settings.httpHost, settings.httpPort)
  })
