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
import type { HttpConfig } from "../config/HttpConfig.js"
import type { FileModes } from "../outputs/file/FileModes.js"
import type { HttpPortUnavailable } from "../platform/NodeHttpServer.js"
import * as AppLayer from "./AppLayer.js"
import type { Command } from "./Cli.js"
import { USAGE } from "./Cli.js"
import { pollOnceAndExit, printZones, serve } from "./Commands.js"
import { exitCodeOf, type FatalError, UsageError } from "./FatalError.js"

export interface Platform {
  readonly layer: Layer.Layer<HttpClient.HttpClient | FileSystem.FileSystem | Path.Path | FileModes>
  readonly httpServer: Layer.Layer<HttpServer.HttpServer, HttpPortUnavailable, HttpConfig>
  readonly stdoutIsTerminal: boolean
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
      // The endpoints keep the read API's history beside the cache, on the platform's filesystem.
      const run: Effect.Effect<
        void,
        FatalError,
        Layer.Layer.Success<ReturnType<typeof AppLayer.layer>> | Layer.Layer.Success<Platform["layer"]>
      > = command.once
        ? pollOnceAndExit
        : serve(platform.httpServer)
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
