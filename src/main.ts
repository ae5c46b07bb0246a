/**
 * carbon-poller's entry point: parse the command, hand it Node's platform, run.
 */
// First, before any dependency loads: keeps SIGUSR1 from opening the inspector (see the module).
import "./platform/ProcessGuard.js"
import { parseCommand } from "./app/Cli.js"
import * as Program from "./app/Program.js"
import * as NodePlatform from "./platform/NodePlatform.js"
import * as NodeProcess from "./platform/NodeProcess.js"

NodeProcess.keepRunningWhenStdioBreaks()
const command = parseCommand(process.argv.slice(2))
const { runMain, signals } = NodeProcess.make(1_900)
runMain(
  Program.run(command, {
    layer: NodePlatform.layer,
    stdoutIsTerminal: process.stdout.isTTY === true,
    signals
  }),
  { disableErrorReporting: true, disablePrettyLogger: true, teardown: Program.teardownFor(command) }
)
