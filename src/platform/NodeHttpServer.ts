/**
 * The platform's HTTP server for the endpoints: Node's, with bounds so that clients cannot starve
 * the poll loop, grow memory without limit, or keep the kubelet's probes from an answer: a ceiling
 * on open connections that closes the oldest idle one rather than refuse a newcomer, and limits on
 * the time a request may take to arrive and a connection may sit idle.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Layer } from "effect"
import { createServer } from "node:http"
import { HttpListener, HttpPortUnavailable, type ListenAddress } from "../http/HttpListener.js"
import { guardConnections } from "./ConnectionGuard.js"

/**
 * Open connections at most. Probes and a scraper need a handful. Reaching it never refuses a
 * newcomer (that would refuse the kubelet's probe too): the oldest idle connection is closed
 * instead (see `ConnectionGuard`). Measured both ways: at 2,048 or 4,096 a flood of 3,000 busy
 * /metrics clients held the poll loop up for 3–4 s; at 256 the longest gap between poll starts
 * stayed under a second, while 200 held silent connections never kept a probe from an answer.
 */
export const MAX_CONNECTIONS = 256
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

const listen = ({ host, port }: ListenAddress) =>
  NodeHttpServer.layer(boundedServer, { port, host, backlog: LISTEN_BACKLOG }).pipe(
    Layer.mapError((error) => new HttpPortUnavailable({ host, port, cause: error.cause }))
  )

/** Node's bounded server, opened where the endpoints ask. */
export const layer = Layer.succeed(HttpListener, HttpListener.of({ listen }))
