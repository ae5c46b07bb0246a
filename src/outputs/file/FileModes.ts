/**
 * Setting a file's permission bits through its open handle (`fchmod`), never by path: between
 * opening a temporary file and changing its mode, the path could be swapped for a symlink, and a
 * chmod by path would then change whatever the link points to. `@effect/platform`'s `File` has no
 * such operation, so it is a small platform service of its own: Node's here, a fake in tests.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import { Context, Effect, Layer } from "effect"
import { fchmod } from "node:fs"

export class FileModes extends Context.Tag("carbon-poller/FileModes")<FileModes, {
  readonly setMode: (file: FileSystem.File, mode: number) => Effect.Effect<void, Error>
}>() {}

/** Node's: `fchmod` on the open descriptor. */
export const layer = Layer.succeed(FileModes, {
  setMode: (file, mode) =>
    Effect.async<void, Error>((resume) => {
      fchmod(file.fd, mode, (error) => resume(error === null ? Effect.void : Effect.fail(error)))
    })
})
