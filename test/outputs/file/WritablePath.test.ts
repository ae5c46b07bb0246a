/**
 * A `CACHE_FILE` the service could never write is refused at start (exit 2, naming CACHE_FILE, the
 * reason and what to set), not discovered at every write: a temporary name too long for the
 * filesystem, a directory that cannot be created. What an operator can repair while the service
 * runs is only reported.
 */
import { FileSystem, Path } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Logger } from "effect"
import { existsSync } from "node:fs"
import * as FileModes from "../../../src/outputs/file/FileModes.js"
import * as FileOutput from "../../../src/outputs/file/FileOutput.js"
import { makeMemoryFileSystem } from "../../support/MemoryFileSystem.js"
import * as TestSettings from "../../support/settings.js"

/** Builds the file output (its start checks included) over Node's filesystem; the failure's message. */
const startWith = (cacheFile: string) =>
  Effect.exit(Layer.build(FileOutput.layer)).pipe(
    Effect.scoped,
    Effect.provide(
      Layer.mergeAll(NodeFileSystem.layer, FileModes.layer, Path.layer, TestSettings.layer({ cacheFile }))
    )
  )

const failureMessage = (exit: Exit.Exit<unknown, { readonly message: string }>): string =>
  Exit.match(exit, { onFailure: (cause) => cause.toString(), onSuccess: () => "started" })

describe("CACHE_FILE at start", () => {
  it.scoped("refuses a file name whose temporary sibling would pass the 255-byte name limit", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      // 245 bytes: a valid name itself, but `.<name>.tmp-<12 digits>` is 263.
      const cacheFile = `${dir}/${"c".repeat(240)}.json`
      const message = failureMessage(yield* startWith(cacheFile))
      assert.match(message, /CACHE_FILE=".*": its temporary file's name would be 263 bytes, over the 255-byte limit/)
      assert.match(message, /use a file name of at most 237 bytes/)
      // At the limit it starts.
      assert.strictEqual(failureMessage(yield* startWith(`${dir}/${"c".repeat(232)}.json`)), "started")
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("refuses a directory that can never be created: below a regular file, or in /proc", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      yield* fs.writeFileString(`${dir}/plain-file`, "not a directory")
      const belowFile = failureMessage(yield* startWith(`${dir}/plain-file/cache/carbon_cache.json`))
      assert.match(belowFile, /CACHE_FILE=.*its directory can never be created: .*plain-file is not a directory/)
      assert.match(belowFile, /set CACHE_FILE to a path in a directory that exists or can be created/)
      if (existsSync("/proc/self")) {
        // Node's recursive mkdir never returns here; one level at a time, the kernel says no at once.
        const inProc = failureMessage(yield* startWith("/proc/carbon-poller-test/carbon_cache.json"))
        assert.match(inProc, /its directory can never be created: cannot create \/proc\/carbon-poller-test \(NotFound/)
      }
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("creates a missing directory at start, several levels deep", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      assert.strictEqual(failureMessage(yield* startWith(`${dir}/a/b/c/carbon_cache.json`)), "started")
      assert.strictEqual((yield* fs.stat(`${dir}/a/b/c`)).type, "Directory")
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("starts when the directory cannot be created only for now (permissions), and says so", () =>
    Effect.gen(function*() {
      const memory = makeMemoryFileSystem({
        failing: { makeDirectory: { reason: "PermissionDenied", description: "EACCES: permission denied, mkdir" } }
      })
      const lines: Array<string> = []
      const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(String(message))))
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(FileOutput.layer))).pipe(
        Effect.provide(
          Layer.mergeAll(
            memory.layer,
            Path.layer,
            TestSettings.layer({ cacheFile: "/mnt/cache/carbon_cache.json" }),
            logger
          )
        )
      )
      assert.isTrue(Exit.isSuccess(exit))
      assert.isTrue(lines.some((line) => /cannot create \/mnt .*PermissionDenied.*every write tries again/.test(line)))
    }))
})
