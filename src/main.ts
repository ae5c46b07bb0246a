/**
 * carbon-poller's entry point: parse the command, provide the Node platform and the layers, run.
 */
// Deep imports: the package barrels load every module (cluster, workers, ...) and cost start-up time.
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Layer } from "effect"
import { commandProgram, reportFatal, ServicesLayer, teardown } from "./App.js"
import { parseCommand } from "./Cli.js"
import * as Config from "./Config.js"
import * as Logging from "./Logging.js"

const command = parseCommand(process.argv.slice(2))

// undici's request API rather than Node's fetch: measured at about half the CPU per request
// (bench/, "local cost"). Every request is timed out and size-capped by the client service itself.
const Platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeHttpClient.layerUndici)
const Configured = Config.layer({ stdoutIsTerminal: process.stdout.isTTY === true }).pipe(Layer.provideMerge(Platform))
const MainLayer = Layer.mergeAll(ServicesLayer, Logging.layer).pipe(Layer.provideMerge(Configured))

NodeRuntime.runMain(reportFatal(commandProgram(command, MainLayer)), {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown
})
