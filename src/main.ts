/**
 * carbon-poller's entry point: parse the command, hand it Node's platform, run.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { parseCommand } from "./app/Cli.js"
import * as Program from "./app/Program.js"
import * as NodePlatform from "./platform/NodePlatform.js"

NodePlatform.exitDeadlineAfterSignal(1_900)
NodeRuntime.runMain(
  Program.run(parseCommand(process.argv.slice(2)), {
    layer: NodePlatform.layer,
    stdoutIsTerminal: process.stdout.isTTY === true
  }),
  { disableErrorReporting: true, disablePrettyLogger: true, teardown: Program.teardown }
)
