/**
 * The cache file on disk. Writes are atomic (CONTRACT section 3): a temporary file in the target's
 * own directory (so the rename never crosses devices), written, flushed with fsync, made 0644 and
 * renamed over the target. The temporary file belongs to a scope whose finalizer removes it on
 * success, failure and interruption; a SIGKILL can still leave one, so start-up sweeps them.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Data, Effect, Option, Random, Schema } from "effect"
import { PollerConfig } from "./Config.js"
import { CacheFile } from "./Domain.js"

export class CacheWriteError extends Data.TaggedError("CacheWriteError")<{
  readonly path: string
  readonly step: string
  readonly cause: unknown
}> {
  override get message(): string {
    const detail = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `cannot write cache ${this.path} (${this.step}): ${detail} — the previous file is left as it was; tried again next poll`
  }
}

const encodeCache = Schema.encode(CacheFile)
const decodeCache = Schema.decodeUnknown(Schema.parseJson(CacheFile))

/** The file's bytes: the schema's own encoding, indented like the contract's example. */
export const renderCache = (cache: CacheFile): Effect.Effect<string> =>
  encodeCache(cache).pipe(
    Effect.map((encoded) => `${JSON.stringify(encoded, null, 2)}\n`),
    // Encoding a value of our own type cannot fail unless this code is wrong.
    Effect.orDie
  )

const randomSuffix = Effect.map(Effect.all([Random.nextIntBetween(0, 0x1000000), Random.nextIntBetween(0, 0x1000000)]), ([a, b]) =>
  `${a.toString(16).padStart(6, "0")}${b.toString(16).padStart(6, "0")}`
)

export class CacheStore extends Effect.Service<CacheStore>()("carbon-poller/CacheStore", {
  effect: Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const settings = yield* PollerConfig
    const target = path.resolve(settings.cacheFile)
    const directory = path.dirname(target)
    /** Hidden and named after the target, so a sweep only ever removes our own leftovers. */
    const tempPrefix = `.${path.basename(target)}.tmp-`

    const step = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>) =>
      Effect.mapError(effect, (cause) => new CacheWriteError({ path: target, step: name, cause }))

    /** Removes temporary files a killed predecessor left behind; returns how many. */
    const removeLeftovers: Effect.Effect<number> = Effect.gen(function* () {
      const entries = yield* fs.readDirectory(directory).pipe(Effect.orElseSucceed((): Array<string> => []))
      const leftovers = entries.filter((name) => name.startsWith(tempPrefix))
      yield* Effect.forEach(leftovers, (name) => fs.remove(path.join(directory, name), { force: true }).pipe(Effect.ignore), {
        discard: true
      })
      return leftovers.length
    })

    /** The file now on disk, if there is one this version can read. */
    const readCurrent: Effect.Effect<Option.Option<CacheFile>> = fs.readFileString(target).pipe(
      Effect.flatMap(decodeCache),
      Effect.option
    )

    /** Atomically replaces the target with `contents`. */
    const writeContents = (contents: string): Effect.Effect<void, CacheWriteError> =>
      Effect.scoped(
        Effect.gen(function* () {
          yield* step("create directory", fs.makeDirectory(directory, { recursive: true }))
          const tempPath = path.join(directory, `${tempPrefix}${yield* randomSuffix}`)
          // Registered before the file exists, so it runs after the handle is closed; after the
          // rename there is nothing left to remove, which is fine.
          yield* Effect.addFinalizer(() => fs.remove(tempPath, { force: true }).pipe(Effect.ignore))
          const file = yield* step("create temporary file", fs.open(tempPath, { flag: "wx", mode: 0o644 }))
          yield* step("write", file.writeAll(new TextEncoder().encode(contents)))
          yield* step("flush to disk", file.sync)
          // The process umask may have narrowed the mode; readers in the pod need 0644.
          yield* step("set mode 0644", fs.chmod(tempPath, 0o644))
          yield* step("rename over target", fs.rename(tempPath, target))
        })
      )

    const write = (cache: CacheFile): Effect.Effect<string, CacheWriteError> =>
      Effect.flatMap(renderCache(cache), (contents) => Effect.as(writeContents(contents), contents))

    return { target, directory, tempPrefix, removeLeftovers, readCurrent, write } as const
  })
}) {}
