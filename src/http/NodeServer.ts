/**
 * The platform's HTTP server for the endpoints: Node's, on `HTTP_HOST:HTTP_PORT`, with bounds so
 * that clients cannot starve the poll loop, grow memory without limit, or keep the kubelet's probes
 * from an answer: a ceiling on open connections that closes the oldest idle one rather than refuse
 * a newcomer, and limits on the time a request may take to arrive and a connection may sit idle.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as HttpServer from "@effect/platform/HttpServer"
import { Data, Effect, Layer } from "effect"
import { createServer } from "node:http"
import { HttpConfig } from "../config/HttpConfig.js"
import { guardConnections } from "./ConnectionGuard.js"

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

/**
 * Open connections at most. Probes and a scraper need a handful; the bound only keeps a flood from
 * growing memory and descriptors without limit. Reaching it never refuses a newcomer (that would
 * refuse the kubelet's probe too): the oldest idle connection is closed instead (see
 * `ConnectionGuard`).
 */
export const MAX_CONNECTIONS = 4_096
/** A request that has not fully arrived by then is cut (slow-loris clients). */
export const REQUEST_TIMEOUT_MILLIS = 5_000
/** A connection that sends or receives nothing for this long is closed, whether or not it ever sent a byte. */
export const IDLE_TIMEOUT_MILLIS = 5_000
/** Pending connections the kernel queues for accept: a burst of clients must not drop a probe's SYN. */
export const LISTEN_BACKLOG = 4_096

const boundedServer = () => {
  const server = createServer({
    requestTimeout: REQUEST_TIMEOUT_MILLIS,
    headersTimeout: REQUEST_TIMEOUT_MILLIS,
    keepAliveTimeout: 5_000,
    // Node checks the two timeouts above every 30 s by default: a client that sends nothing would
    // hold its slot that long.
    connectionsCheckingInterval: 1_000
  })
  // Inactivity, not time to arrive: a connection that never sends a byte is not covered by the
  // request timeouts above.
  server.timeout = IDLE_TIMEOUT_MILLIS
  guardConnections(server, MAX_CONNECTIONS)
  return server
}

/** Node's server on `host:port` (0 = any free port). */
export const layerOn = (host: string, port: number): Layer.Layer<HttpServer.HttpServer, HttpPortUnavailable> =>
  NodeHttpServer.layer(boundedServer, { port, host, backlog: LISTEN_BACKLOG }).pipe(
    Layer.mapError((error) => new HttpPortUnavailable({ host, port, cause: error.cause }))
  )

/** Node's server where the configuration says. */
export const layer: Layer.Layer<HttpServer.HttpServer, HttpPortUnavailable, HttpConfig> = Layer.unwrapEffect(
  Effect.map(HttpConfig, (http) => layerOn(http.httpHost, http.httpPort))
)
