/**
 * Node's platform for the service: filesystem, path, file modes, HTTP client and the endpoints'
 * HTTP server. Deep imports: the package barrels load every module (cluster, workers, ...) and cost
 * start-up time.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodePath from "@effect/platform-node/NodePath"
import { Layer } from "effect"
import * as FileModes from "../outputs/file/FileModes.js"
import * as NodeHttpServer from "./NodeHttpServer.js"

// Node's own http with a keep-alive agent rather than undici: undici is 0.2-0.5 ms cheaper per
// request once loaded, but loading it costs 0.18 s and 50 MiB at every start (measured by the
// bench, docs/performance.md), and a sidecar starts far more often than it polls 400 zones. The
// plain `NodeHttpClient.layer` agent has no keep-alive (one connection per request). Every request
// is timed out and size-capped by the source adapter itself.
const httpClient = NodeHttpClient.layerWithoutAgent.pipe(
  Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true }))
)

// No tracer: nothing exports spans, and recording them cost 4 % of the CPU per zone.
export const layer = Layer.mergeAll(
  NodeFileSystem.layer,
  NodePath.layer,
  httpClient,
  FileModes.layer,
  NodeHttpServer.layer,
  Layer.setTracerEnabled(false)
)

/**
 * After SIGTERM or SIGINT the runtime interrupts the program and exits once its finalizers ran.
 * A filesystem call the kernel never returns from (a hung network mount) keeps a libuv thread
 * busy, and then even `process.exit` waits for it forever. Rather than hang until the kubelet's
 * SIGKILL, the process kills itself at the deadline (exit status 137), saying why. Non-regular
 * files (FIFOs, devices) are refused at start, so only a broken mount gets here.
 */
export const exitDeadlineAfterSignal = (millis: number): void => {
  const arm = () => {
    setTimeout(() => {
      process.stderr.write(
        `carbon-poller: shutdown did not finish within ${millis} ms (a filesystem call never returned); killing the process\n`
      )
      process.kill(process.pid, "SIGKILL")
    }, millis).unref()
  }
  process.once("SIGTERM", arm)
  process.once("SIGINT", arm)
}
