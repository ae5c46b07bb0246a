/**
 * carbon-poller's entry point: parse the command, provide the Node platform and the layers, run.
 */
// Deep imports: the package barrels load every module (cluster, workers, ...) and cost start-up time.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Layer } from "effect"
import { commandProgram, reportFatal, ServicesLayer, teardown } from "./App.js"
import { parseCommand } from "./Cli.js"
import * as Config from "./Config.js"
import * as Logging from "./Logging.js"

const command = parseCommand(process.argv.slice(2))

// Node's built-in fetch: no extra HTTP library to load at start; every request is timed out
// and size-capped by the client service itself.
const Platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, FetchHttpClient.layer)
const Configured = Config.layer({ stdoutIsTerminal: process.stdout.isTTY === true }).pipe(Layer.provideMerge(Platform))
const MainLayer = Layer.mergeAll(ServicesLayer, Logging.layer).pipe(Layer.provideMerge(Configured))

NodeRuntime.runMain(reportFatal(commandProgram(command, MainLayer)), {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown
})
