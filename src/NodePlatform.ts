/**
 * Node's platform for the service: filesystem, path, HTTP client and HTTP server. Deep imports: the
 * package barrels load every module (cluster, workers, ...) and cost start-up time.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodePath from "@effect/platform-node/NodePath"
import { Layer } from "effect"
import * as FileModes from "./file/FileModes.js"
import * as NodeServer from "./http/NodeServer.js"

// undici's request API rather than Node's fetch: measured at about half the CPU per request.
// Every request is timed out and size-capped by the source adapter itself.
export const layer = Layer.mergeAll(
  NodeFileSystem.layer,
  NodePath.layer,
  NodeHttpClient.layerUndici,
  FileModes.nodeLayer
)

export const httpServer = NodeServer.layer

/**
 * After SIGTERM or SIGINT the runtime interrupts the program and exits once its finalizers ran.
 * A call the kernel never returns from (an `open` of a FIFO, a hung network filesystem) can keep
 * that from finishing, so a deadline ends the process anyway: the contract is exit 0 within 2 s.
 */
export const exitDeadlineAfterSignal = (millis: number): void => {
  const arm = () => {
    setTimeout(() => {
      process.stderr.write(`carbon-poller: shutdown did not finish within ${millis} ms; exiting\n`)
      process.exit(0)
    }, millis).unref()
  }
  process.once("SIGTERM", arm)
  process.once("SIGINT", arm)
}
