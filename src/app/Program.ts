/**
 * From a parsed command line to an exit code: each command picks what it runs over the given
 * platform (the long-running service, one poll, or the zone catalogue), and a fatal failure is
 * reported on stderr as a plain sentence.
 */
import type { Teardown } from "@effect/platform/Runtime"
import { Cause, Console, Effect, Exit, Layer } from "effect"
import * as AppLayer from "./AppLayer.js"
import type { Command } from "./Cli.js"
import { USAGE } from "./Cli.js"
import { pollOnceAndExit, printZones } from "./Commands.js"
import { exitCodeOf, type FatalError, UsageError } from "./FatalError.js"

export interface Platform {
  readonly layer: Layer.Layer<AppLayer.Platform>
  readonly stdoutIsTerminal: boolean
}

const program = (command: Command, platform: Platform): Effect.Effect<void, FatalError> => {
  const over = (keyRequired: boolean) =>
    Layer.provideMerge(
      AppLayer.ConfigLayer({ stdoutIsTerminal: platform.stdoutIsTerminal, keyRequired }).pipe(
        Layer.provideMerge(platform.layer)
      )
    )
  switch (command._tag) {
    case "Help":
      return Console.log(USAGE)
    case "UsageError":
      return Effect.fail(new UsageError({ detail: command.message, usage: USAGE }))
    case "Zones":
      // No key needed: the catalogue answers without one.
      return Effect.provide(printZones(command.search), AppLayer.CatalogueLayer.pipe(over(false)))
    case "Run":
      return command.once
        ? Effect.provide(pollOnceAndExit, AppLayer.ServicesLayer.pipe(over(true)))
        : Layer.launch(AppLayer.ServiceLayer.pipe(over(true)))
  }
}

/** Runs a command; never fails: the result is the process's exit code. */
export const run = (command: Command, platform: Platform): Effect.Effect<number> =>
  program(command, platform).pipe(
    Effect.as(0),
    Effect.catchAll((error) => Effect.as(Console.error(`carbon-poller: ${error.message}`), exitCodeOf(error))),
    Effect.catchAllDefect((defect) =>
      Effect.as(Console.error(`carbon-poller: unexpected failure (a bug): ${Cause.pretty(Cause.die(defect))}`), 1)
    )
  )

/** The exit code `run` produced; a signal (interruption) exits 0. */
export const teardown: Teardown = (exit, onExit) =>
  onExit(
    Exit.match(exit, {
      onSuccess: (code) => (typeof code === "number" ? code : 0),
      onFailure: (cause) => (Cause.isInterruptedOnly(cause) ? 0 : 1)
    })
  )
