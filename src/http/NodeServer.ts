/**
 * The platform's HTTP server for the endpoints: Node's, on `HTTP_HOST:HTTP_PORT`, with bounds so
 * that clients cannot starve the poll loop or grow memory without limit: a ceiling on open
 * connections and on the time a request may take to arrive.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as HttpServer from "@effect/platform/HttpServer"
import { Data, Effect, Layer } from "effect"
import { createServer } from "node:http"
import { HttpConfig } from "../config/HttpConfig.js"
import { listenAdvice } from "./ListenAdvice.js"

export class HttpPortUnavailable extends Data.TaggedError("HttpPortUnavailable")<{
  readonly host: string
  readonly port: number
  readonly cause: unknown
}> {
  override get message(): string {
    const detail = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `cannot listen on ${this.host}:${this.port} (HTTP_PORT=${this.port}, HTTP_HOST=${this.host}): ${detail}; ${
      listenAdvice(this.cause, this.port)
    }`
  }
}

/** Probes and a scraper need a handful; more is a misbehaving client. */
export const MAX_CONNECTIONS = 128
/** A request that has not fully arrived by then is cut (slow-loris clients). */
export const REQUEST_TIMEOUT_MILLIS = 5_000

const boundedServer = () => {
  const server = createServer({
    requestTimeout: REQUEST_TIMEOUT_MILLIS,
    headersTimeout: REQUEST_TIMEOUT_MILLIS,
    keepAliveTimeout: 5_000
  })
  server.maxConnections = MAX_CONNECTIONS
  return server
}

/** Node's server on `host:port` (0 = any free port). */
export const layerOn = (host: string, port: number): Layer.Layer<HttpServer.HttpServer, HttpPortUnavailable> =>
  NodeHttpServer.layer(boundedServer, { port, host }).pipe(
    Layer.mapError((error) => new HttpPortUnavailable({ host, port, cause: error.cause }))
  )

/** Node's server where the configuration says. */
export const layer: Layer.Layer<HttpServer.HttpServer, HttpPortUnavailable, HttpConfig> = Layer.unwrapEffect(
  Effect.map(HttpConfig, (http) => layerOn(http.httpHost, http.httpPort))
)
