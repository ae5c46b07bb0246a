/**
 * Whether `CACHE_FILE` could ever be written, decided at start rather than at every write: a
 * temporary name the filesystem cannot hold, or a directory that cannot be created (a file where a
 * directory should be, a pseudo-filesystem such as /proc), fails every write the same way. What an
 * operator can repair while the service runs (permissions, a read-only or full volume) is only
 * reported: the writes retry.
 *
 * Missing directories are created one level at a time: Node's recursive `mkdir` never returns for
 * a path under /proc, which would hang the start.
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Effect, Either } from "effect"

/** Linux's limits: one name in a directory (NAME_MAX), and a whole path without its final NUL (PATH_MAX - 1). */
export const NAME_MAX_BYTES = 255
export const PATH_MAX_BYTES = 4095

const encoder = new TextEncoder()
const bytes = (text: string): number => encoder.encode(text).length

/**
 * Why the temporary file next to `target` could never be created, if it could not. `tempName` is a
 * temporary name as the writer makes it (the longest it makes).
 */
export const nameProblem = (target: string, tempName: string, path: Path.Path): string | undefined => {
  const tempBytes = bytes(tempName)
  if (tempBytes > NAME_MAX_BYTES) {
    const allowed = NAME_MAX_BYTES - (tempBytes - bytes(path.basename(target)))
    return `its temporary file's name would be ${tempBytes} bytes, over the ${NAME_MAX_BYTES}-byte limit on a file name; use a file name of at most ${allowed} bytes, e.g. /cache/carbon_cache.json`
  }
  const long = path.dirname(target).split(path.sep).find((part) => bytes(part) > NAME_MAX_BYTES)
  if (long !== undefined) {
    return `the directory name ${JSON.stringify(`${long.slice(0, 40)}…`)} is ${
      bytes(long)
    } bytes, over the ${NAME_MAX_BYTES}-byte limit on a file name; use a shorter path, e.g. /cache/carbon_cache.json`
  }
  const tempPath = path.join(path.dirname(target), tempName)
  if (bytes(tempPath) > PATH_MAX_BYTES) {
    return `the path of its temporary file would be ${
      bytes(tempPath)
    } bytes, over the ${PATH_MAX_BYTES}-byte limit on a path; use a shorter path, e.g. /cache/carbon_cache.json`
  }
  return undefined
}

export type DirectoryState =
  | { readonly _tag: "Ready" }
  /** Cannot be created now, for a reason an operator can repair; every write tries again. */
  | { readonly _tag: "NotYet"; readonly detail: string }
  /** Can never be created as the path stands. */
  | { readonly _tag: "Never"; readonly detail: string }

const describe = (error: PlatformError): string =>
  error._tag === "SystemError" ? `${error.reason}: ${error.description ?? error.message}` : error.message

/** Errors that say the path itself is impossible, not that the moment or the permissions are wrong. */
const isPermanent = (error: PlatformError): boolean =>
  error._tag === "SystemError" &&
  (error.reason === "NotFound" || error.reason === "BadResource" ||
    /ENAMETOOLONG|ENOTDIR|ELOOP|EINVAL/.test(error.description ?? ""))

/** Creates `directory` and whatever is missing above it, one level at a time. */
export const prepareDirectory = (
  directory: string
): Effect.Effect<DirectoryState, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const missing: Array<string> = []
    let current = directory
    for (;;) {
      const info = yield* Effect.either(fs.stat(current))
      if (Either.isRight(info)) {
        if (info.right.type === "Directory") break
        return { _tag: "Never", detail: `${current} is not a directory` } as const
      }
      const parent = path.dirname(current)
      if (parent === current) break
      missing.unshift(current)
      current = parent
    }
    for (const level of missing) {
      const made = yield* Effect.either(fs.makeDirectory(level))
      if (Either.isRight(made)) continue
      const error = made.left
      if (error._tag === "SystemError" && error.reason === "AlreadyExists") {
        const info = yield* Effect.either(fs.stat(level))
        if (Either.isRight(info) && info.right.type === "Directory") continue
        return { _tag: "Never", detail: `${level} exists and is not a directory` } as const
      }
      const detail = `cannot create ${level} (${describe(error)})`
      return isPermanent(error) ? { _tag: "Never", detail } as const : { _tag: "NotYet", detail } as const
    }
    return { _tag: "Ready" } as const
  })
