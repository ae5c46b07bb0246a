/**
 * The platform's HTTP server for the endpoints: Node's, with bounds so that clients cannot starve
 * the poll loop or grow memory without limit: a ceiling on open connections and on the time a
 * request may take to arrive.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Layer } from "effect"
import { createServer } from "node:http"
import { HttpListener, HttpPortUnavailable, type ListenAddress } from "../http/HttpListener.js"

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

const listen = ({ host, port }: ListenAddress) =>
  NodeHttpServer.layer(boundedServer, { port, host }).pipe(
    Layer.mapError((error) => new HttpPortUnavailable({ host, port, cause: error.cause }))
  )

/** Node's bounded server, opened where the endpoints ask. */
export const layer = Layer.succeed(HttpListener, HttpListener.of({ listen }))
