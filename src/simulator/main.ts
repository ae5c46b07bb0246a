/**
 * `npm run simulator -- --port 8099 ...`: runs the simulator until SIGINT/SIGTERM.
 *
 * Imports platform modules by path, not through the package index, which loads every module
 * (workers, clusters, sockets) and doubles start-up time.
 *
 * Prints exactly one line on stdout once listening, so scripts can wait for it and read the URL
 * (the v4 base URL, then the legacy v3 one in parentheses).
 * Bad flags exit with code 2 and the reason on stderr.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Either, Exit } from "effect"
import { parseCli, USAGE } from "./Cli.js"
import * as Simulator from "./Simulator.js"

const program = Effect.gen(function*() {
  const command = parseCli(process.argv.slice(2))
  if (Either.isLeft(command)) {
    return yield* Effect.fail(`${command.left}\n\n${USAGE}`)
  }
  if (command.right._tag === "Help") return yield* Console.log(USAGE)
  const simulator = yield* Simulator.start(command.right.options).pipe(Effect.mapError((error) => error.message))
  // The URL comes first and alone up to the space: scripts read it with a regex or a prefix strip.
  yield* Console.log(`simulator listening on ${simulator.baseUrl} (legacy v3: ${simulator.baseUrlV3})`)
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.tapError((message) => Console.error(`simulator: ${message}`))
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: (exit, onExit) => onExit(Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause) ? 2 : 0)
})
