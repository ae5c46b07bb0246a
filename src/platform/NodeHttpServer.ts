/**
 * The platform's HTTP server for the endpoints: Node's, with bounds so that clients cannot starve
 * the poll loop, grow memory without limit, or keep the kubelet's probes from an answer: a ceiling
 * on open connections, shared fairly between clients (the one holding the most gives way), and
 * limits on the time a request may take to arrive and a connection may sit idle.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Layer } from "effect"
import { createServer } from "node:http"
import { HttpListener, HttpPortUnavailable, type ListenAddress } from "../http/HttpListener.js"
import { guardConnections } from "./ConnectionGuard.js"

/**
 * Open connections at most: far more than probes and scrapers use, and few enough that serving them
 * all cannot hold up the poll. At the bound a newcomer from a client with fewer connections (the
 * kubelet, probing from the node with one at a time) is let in by closing one of the heaviest
 * client's, counted by source address; a newcomer from the heaviest client itself is refused before
 * it is read unless one of that client's connections has idled `IDLE_EVICTABLE_AFTER_MILLIS` (see
 * `ConnectionGuard`). Measured on a loaded 2-core machine (reliability scenarios 9 and 11): with no
 * refusal, a bound of 2,048 or 4,096 let a flood of 3,000 busy /metrics clients hold the poll loop
 * up for 3-4 s; with the fairness rule, 512 still served enough of the flood to stall polls
 * 2.1-3.8 s in four runs, 256 1.3-2.2 s, while 2,000 held connections never kept a probe from
 * another address from an answer. Without the fairness rule, 256 let 2,000 held connections
 * reopened as fast as they were closed crowd out 9 of 40 probes.
 */
export const MAX_CONNECTIONS = 256
/** A client's connection idle this long may be replaced by that client's own newcomer at the bound. */
export const IDLE_EVICTABLE_AFTER_MILLIS = 1_000
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
  guardConnections(server, { maxConnections: MAX_CONNECTIONS, idleEvictableAfterMillis: IDLE_EVICTABLE_AFTER_MILLIS })
  return server
}

const listen = ({ host, port }: ListenAddress) =>
  NodeHttpServer.layer(boundedServer, { port, host, backlog: LISTEN_BACKLOG }).pipe(
    Layer.mapError((error) => new HttpPortUnavailable({ host, port, cause: error.cause }))
  )

/** Node's bounded server, opened where the endpoints ask. */
export const layer = Layer.succeed(HttpListener, HttpListener.of({ listen }))
