/**
 * carbon-poller's entry point: parse the command, hand it Node's platform, run.
 */
// First, before any dependency loads: keeps SIGUSR1 from opening the inspector (see the module).
import "./ProcessGuard.js"
import * as Main from "./app/Main.js"
import { parseCommand } from "./Cli.js"
import * as NodePlatform from "./NodePlatform.js"
import * as NodeProcess from "./NodeProcess.js"

NodeProcess.keepRunningWhenStdioBreaks()
const command = parseCommand(process.argv.slice(2))
const { runMain, signals } = NodeProcess.make(1_900)
runMain(
  Main.run(command, {
    layer: NodePlatform.layer,
    httpServer: NodePlatform.httpServer,
    stdoutIsTerminal: process.stdout.isTTY === true,
    signals
  }),
  { disableErrorReporting: true, disablePrettyLogger: true, teardown: Main.teardownFor(command) }
)
