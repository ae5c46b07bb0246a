/**
 * From a parsed command line to an exit code: each command picks what it runs over the given
 * platform (the long-running service, one poll, or the zone catalogue), and a fatal failure is
 * reported on stderr as a plain sentence.
 */
import type { Teardown } from "@effect/platform/Runtime"
import { Cause, Console, Effect, Exit, Layer } from "effect"
import { type ProcessSignals, withSignalLog } from "../platform/Signals.js"
import * as AppLayer from "./AppLayer.js"
import type { Command } from "./Cli.js"
import { USAGE } from "./Cli.js"
import { pollOnceAndExit, printPlan, printZones } from "./Commands.js"
import { exitCodeOf, type FatalError, ONCE_INTERRUPTED_EXIT_CODE, UsageError } from "./FatalError.js"

export interface Platform {
  readonly layer: Layer.Layer<AppLayer.Platform>
  readonly stdoutIsTerminal: boolean
  /** The process's signals; `Signals.none` where there is no process of one's own (tests). */
  readonly signals: ProcessSignals
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
    case "Plan":
      // The configuration alone: no source is built, nothing is asked, no key is needed.
      return Effect.provide(printPlan, Layer.empty.pipe(over(false)))
    case "Zones":
      // No key needed: the catalogue answers without one.
      return Effect.provide(printZones(command.search), AppLayer.CatalogueLayer.pipe(over(false)))
    case "Run":
      return command.once
        ? withSignalLog(
          Effect.provide(pollOnceAndExit, AppLayer.ServicesLayer.pipe(over(true))),
          platform.signals,
          (signal) =>
            Effect.logError(
              `--once interrupted by ${signal} before it finished: exit ${ONCE_INTERRUPTED_EXIT_CODE}, so a CronJob counts the run as failed`
            )
        )
        : withSignalLog(Layer.launch(AppLayer.ServiceLayer.pipe(over(true))), platform.signals, (signal) =>
          Effect.log(
            `${signal} received: stopped (in-flight requests abandoned, temporary file removed)${
              signal === "SIGTERM" || signal === "SIGINT" ? "" : `; ${signal} is handled like SIGTERM`
            }`
          ))
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

/**
 * As `teardown`, except that `--once` stopped by a signal before it finished exits with
 * `ONCE_INTERRUPTED_EXIT_CODE`: a run that wrote nothing must not look like a success to a CronJob.
 * The service stopped by a signal has done its job and exits 0.
 */
export const teardownFor = (command: Command): Teardown => (exit, onExit) =>
  command._tag === "Run" && command.once && Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
    ? onExit(ONCE_INTERRUPTED_EXIT_CODE)
    : teardown(exit, onExit)
