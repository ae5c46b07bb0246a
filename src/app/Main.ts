/**
 * From a parsed command line to an exit code: builds the layers the command needs over the given
 * platform, runs it, and reports a fatal failure on stderr as a plain sentence.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpServer from "@effect/platform/HttpServer"
import type * as Path from "@effect/platform/Path"
import type { Teardown } from "@effect/platform/Runtime"
import { Cause, Console, Effect, Exit, type Layer } from "effect"
import type { Command } from "../Cli.js"
import { USAGE } from "../Cli.js"
import type { HttpConfig } from "../config/HttpConfig.js"
import type { FileModes } from "../file/FileModes.js"
import type { HttpPortUnavailable } from "../http/NodeServer.js"
import * as AppLayer from "./AppLayer.js"
import { pollOnceAndExit, printZones, serve } from "./Commands.js"
import { exitCodeOf, type FatalError, ONCE_INTERRUPTED_EXIT_CODE, UsageError } from "./FatalError.js"
import { type ProcessSignals, withSignalLog } from "./Signals.js"

export interface Platform {
  readonly layer: Layer.Layer<HttpClient.HttpClient | FileSystem.FileSystem | Path.Path | FileModes>
  readonly httpServer: Layer.Layer<HttpServer.HttpServer, HttpPortUnavailable, HttpConfig>
  readonly stdoutIsTerminal: boolean
  readonly signals: ProcessSignals
}

const program = (command: Command, platform: Platform): Effect.Effect<void, FatalError> => {
  const options = { stdoutIsTerminal: platform.stdoutIsTerminal }
  switch (command._tag) {
    case "Help":
      return Console.log(USAGE)
    case "UsageError":
      return Effect.fail(new UsageError({ detail: command.message, usage: USAGE }))
    case "Zones":
      return printZones(command.search).pipe(
        Effect.provide(AppLayer.catalogueLayer(options)),
        Effect.provide(platform.layer)
      )
    case "Run": {
      const run: Effect.Effect<void, FatalError, Layer.Layer.Success<ReturnType<typeof AppLayer.layer>>> = command.once
        ? withSignalLog(pollOnceAndExit, platform.signals, (signal) =>
          Effect.logError(
            `--once interrupted by ${signal} before it finished: exit ${ONCE_INTERRUPTED_EXIT_CODE}, so a CronJob counts the run as failed`
          ))
        : withSignalLog(serve(platform.httpServer), platform.signals, (signal) =>
          Effect.log(
            `${signal} received: stopped (in-flight requests abandoned, temporary file removed)${
              signal === "SIGTERM" || signal === "SIGINT" ? "" : `; ${signal} is handled like SIGTERM`
            }`
          ))
      return run.pipe(Effect.provide(AppLayer.layer(options)), Effect.provide(platform.layer))
    }
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
