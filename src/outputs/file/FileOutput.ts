/**
 * The file adapter of the output port: the cache file the scheduler reads, replaced atomically
 * (src/outputs/file/AtomicFile.ts). A SIGKILL can leave a temporary file behind, so building this
 * adapter sweeps them.
 */
import * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Context, Effect, Layer, Option } from "effect"
import { CacheConfig } from "../../config/CacheConfig.js"
import { InvalidConfig } from "../../config/Variables.js"
import type { RenderedCache } from "../../domain/CacheFile.js"
import type { CacheOutputShape } from "../../ports/CacheOutput.js"
import { OutputError } from "../../ports/CacheOutput.js"
import * as AtomicFile from "./AtomicFile.js"
import { nameProblem, prepareDirectory } from "./WritablePath.js"

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/**
 * The user may not write there: typically a local run as a non-root user with the default
 * `/cache`, the container's volume. Said outright, with a path that works.
 */
const cannotWriteHere = (cause: unknown): boolean =>
  cause instanceof PlatformError.SystemError &&
  (cause.reason === "PermissionDenied" || /\b(?:EACCES|EPERM|EROFS)\b/.test(cause.description ?? ""))

const WRITABLE_PATH_ADVICE =
  "this user cannot write there: set CACHE_FILE to a writable path, e.g. CACHE_FILE=./carbon_cache.json (or make the directory writable for this user)"

const detailOf = (cause: unknown): string =>
  cannotWriteHere(cause) ? `${describe(cause)}; ${WRITABLE_PATH_ADVICE}` : describe(cause)

export interface FileOutput extends CacheOutputShape {
  readonly target: string
  readonly directory: string
  readonly tempPrefix: string
  /** Removes temporary files a killed predecessor left behind; returns how many. */
  readonly removeLeftovers: Effect.Effect<number>
}

export const make = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const { cacheFile } = yield* CacheConfig
  const file = yield* AtomicFile.make(cacheFile)
  const { directory, removeLeftovers, target, tempPrefix } = file
  const name = `cache ${target}`

  const recall: Effect.Effect<Option.Option<string>> = Effect.suspend(() => fs.readFileString(target)).pipe(
    Effect.option
  )

  const publish = ({ contents }: RenderedCache): Effect.Effect<void, OutputError> =>
    file.write(contents).pipe(
      Effect.mapError((error) =>
        new OutputError({
          output: name,
          step: error.step,
          detail: detailOf(error.cause),
          keeps: "the previous file is left as it was",
          cause: error.cause
        })
      )
    )

  return { name, target, directory, tempPrefix, removeLeftovers, recall, publish } satisfies FileOutput
})

/** The file output as its own service, so the poll loop and tests can reach its file-specific parts. */
export class CacheFileOutput extends Context.Tag("carbon-poller/CacheFileOutput")<CacheFileOutput, FileOutput>() {}

const describeType: Partial<Record<FileSystem.File.Type, string>> = {
  Directory: "a directory",
  CharacterDevice: "a device",
  BlockDevice: "a device",
  FIFO: "a FIFO (named pipe)",
  Socket: "a socket"
}

const refuse = (cacheFile: string, expected: string) =>
  new InvalidConfig({ issues: [{ variable: "CACHE_FILE", value: cacheFile, expected }] })

/**
 * `CACHE_FILE` must name a regular file or nothing: renaming over a device or a FIFO would replace
 * it (and reading a FIFO back would block). A symlink is followed for this check and then replaced
 * by the file on the first write; what it pointed to is left untouched. The path must also be one
 * the service could ever write: a temporary name the filesystem can hold, and a directory that
 * exists or can be created (created here; one that cannot be created yet, e.g. for permissions, is
 * reported and tried again at every write).
 */
export const checkTarget = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const { cacheFile } = yield* CacheConfig
  const target = path.resolve(cacheFile)
  const unnamable = nameProblem(target, AtomicFile.tempNameFor(path, target), path)
  if (unnamable !== undefined) return yield* refuse(cacheFile, unnamable)
  const directory = yield* prepareDirectory(path.dirname(target))
  if (directory._tag === "Never") {
    return yield* refuse(
      cacheFile,
      `its directory can never be created: ${directory.detail}; set CACHE_FILE to a path in a directory that exists or can be created, e.g. /cache/carbon_cache.json`
    )
  }
  if (directory._tag === "NotYet") {
    yield* Effect.logWarning(`CACHE_FILE=${cacheFile}: ${directory.detail}; every write tries again`)
  }
  const info = yield* Effect.option(fs.stat(target))
  if (Option.isNone(info) || info.value.type === "File") return
  return yield* refuse(
    cacheFile,
    `names ${
      describeType[info.value.type] ?? info.value.type
    }; it must name a regular file or nothing, e.g. /cache/carbon_cache.json`
  )
})

/** The adapter, after checking its target and sweeping what a killed predecessor left. */
export const layer = Layer.effect(
  CacheFileOutput,
  Effect.zipRight(checkTarget, make).pipe(
    Effect.tap((output) =>
      Effect.flatMap(output.removeLeftovers, (swept) =>
        swept > 0
          ? Effect.log(`removed ${swept} temporary file(s) left by an earlier run in ${output.directory}`)
          : Effect.void)
    )
  )
)
