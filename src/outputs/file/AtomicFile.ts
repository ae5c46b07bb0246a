/**
 * Replacing a file atomically, for every file the service keeps: a temporary file in the target's
 * own directory (so the rename never crosses devices), written, flushed with fsync, made 0644
 * through its handle and renamed over the target. A reader sees the old complete file or the new
 * one, never a mix. The temporary file belongs to a scope whose finalizer removes it on success,
 * failure and interruption; a SIGKILL can still leave one, so `removeLeftovers` sweeps them.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Data, Effect, Random } from "effect"
import { FileModes } from "./FileModes.js"

/** Which step of a replacement failed, and the platform's error. */
export class AtomicWriteError extends Data.TaggedError("AtomicWriteError")<{
  readonly step: string
  readonly cause: unknown
}> {
  get detail(): string {
    return this.cause instanceof Error ? this.cause.message : String(this.cause)
  }
}

export interface AtomicFile {
  /** The absolute path replaced. */
  readonly target: string
  readonly directory: string
  /** Hidden and named after the target, so a sweep only ever removes this file's leftovers. */
  readonly tempPrefix: string
  readonly write: (contents: string) => Effect.Effect<void, AtomicWriteError>
  /** Removes temporary files a killed predecessor left behind; returns how many. */
  readonly removeLeftovers: Effect.Effect<number>
}

/** The random part of a temporary file's name: 12 hex digits. */
export const RANDOM_SUFFIX_LENGTH = 12

/** The name of a temporary file for `target`: what a name check must allow. */
export const tempNameFor = (path: Path.Path, target: string): string =>
  `.${path.basename(target)}.tmp-${"0".repeat(RANDOM_SUFFIX_LENGTH)}`

const randomSuffix = Effect.map(
  Effect.all([Random.nextIntBetween(0, 0x1000000), Random.nextIntBetween(0, 0x1000000)]),
  ([a, b]) => `${a.toString(16).padStart(6, "0")}${b.toString(16).padStart(6, "0")}`
)

export const make = (file: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const modes = yield* FileModes
    const target = path.resolve(file)
    const directory = path.dirname(target)
    const tempPrefix = `.${path.basename(target)}.tmp-`

    const step = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>) =>
      Effect.mapError(effect, (cause) => new AtomicWriteError({ step: name, cause }))

    const removeLeftovers: Effect.Effect<number> = Effect.gen(function*() {
      const entries = yield* fs.readDirectory(directory).pipe(Effect.orElseSucceed((): Array<string> => []))
      const leftovers = entries.filter((entry) => entry.startsWith(tempPrefix))
      yield* Effect.forEach(
        leftovers,
        (entry) => fs.remove(path.join(directory, entry), { force: true }).pipe(Effect.ignore),
        { discard: true }
      )
      return leftovers.length
    })

    const write = (contents: string): Effect.Effect<void, AtomicWriteError> =>
      Effect.gen(function*() {
        yield* step("create directory", fs.makeDirectory(directory, { recursive: true }))
        const tempPath = path.join(directory, `${tempPrefix}${yield* randomSuffix}`)
        // The handle lives in the inner scope, so it is closed before the temporary file is removed;
        // after the rename there is nothing left to remove, which is fine. `ensuring` rather than a
        // second `addFinalizer` in the same scope: Effect 3.22 can lose a SIGTERM's interruption that
        // arrives while such a finalizer runs, and the process then never stops.
        yield* Effect.scoped(
          Effect.gen(function*() {
            const handle = yield* step("create temporary file", fs.open(tempPath, { flag: "wx", mode: 0o644 }))
            yield* step("write", handle.writeAll(new TextEncoder().encode(contents)))
            yield* step("flush to disk", handle.sync)
            // The process umask may have narrowed the mode; readers in the pod need 0644. Through the
            // handle: the path could have been swapped for a symlink since it was opened.
            yield* step("set mode 0644", modes.setMode(handle, 0o644))
            yield* step("rename over target", fs.rename(tempPath, target))
          })
        ).pipe(Effect.ensuring(Effect.suspend(() => fs.remove(tempPath, { force: true }).pipe(Effect.ignore))))
      })

    return { target, directory, tempPrefix, write, removeLeftovers } satisfies AtomicFile
  })
