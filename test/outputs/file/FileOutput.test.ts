import { FileSystem, Path } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option } from "effect"
import { type CacheFile, renderCache as render } from "../../../src/domain/CacheFile.js"
import * as FileModes from "../../../src/outputs/file/FileModes.js"
import * as FileOutput from "../../../src/outputs/file/FileOutput.js"
import { recallPrevious } from "../../../src/poll/LastKnownGood.js"

const CacheStore = FileOutput.CacheFileOutput
const CacheStoreLayer = Layer.effect(CacheStore, FileOutput.make)
const renderCache = (value: CacheFile) => Effect.succeed(render(value).contents)
import { makeMemoryFileSystem, type MemoryFileSystemOptions } from "../../support/MemoryFileSystem.js"
import { aCache, aCacheEntry, CONTRACT_KEYS } from "../../support/samples.js"
import * as TestSettings from "../../support/settings.js"

const TARGET = "/cache/carbon_cache.json"
const TEMP_PREFIX = "/cache/.carbon_cache.json.tmp-"

const cache = (best: string): CacheFile => aCache([aCacheEntry(best, 100)])

const withMemoryStore = (options: MemoryFileSystemOptions = {}) => {
  const memory = makeMemoryFileSystem(options)
  const layer = CacheStoreLayer.pipe(
    Layer.provide(Layer.mergeAll(memory.layer, Path.layer, TestSettings.layer({ cacheFile: TARGET })))
  )
  return { memory, layer }
}

describe("the cache file output with a fake FileSystem", () => {
  it.effect("writes the rendered cache through a temporary file in the same directory, mode 0644, then renames it", () =>
    Effect.gen(function*() {
      const { layer, memory } = withMemoryStore()
      const store = yield* Effect.provide(CacheStore, layer)
      yield* store.publish(render(cache("FR")))
      assert.strictEqual(memory.read(TARGET), yield* renderCache(cache("FR")))
      assert.strictEqual(memory.modeOf(TARGET), 0o644)
      const temps = memory.everCreated()
      assert.strictEqual(temps.length, 1)
      assert.isTrue(temps[0]!.startsWith(TEMP_PREFIX), temps[0])
      assert.deepStrictEqual(memory.paths(), [TARGET])
    }))

  it.effect("creates the directory when it is missing", () =>
    Effect.gen(function*() {
      const memory = makeMemoryFileSystem()
      const layer = CacheStoreLayer.pipe(
        Layer.provide(
          Layer.mergeAll(memory.layer, Path.layer, TestSettings.layer({ cacheFile: "/new/dir/cache.json" }))
        )
      )
      yield* Effect.flatMap(Effect.provide(CacheStore, layer), (store) => store.publish(render(cache("FR"))))
      assert.isDefined(memory.read("/new/dir/cache.json"))
    }))

  for (const step of ["writeAll", "sync", "rename"] as const) {
    it.effect(`keeps the previous file and removes the temporary file when ${step} fails (disk full)`, () =>
      Effect.gen(function*() {
        const { layer, memory } = withMemoryStore({ files: { [TARGET]: "previous" } })
        const store = yield* Effect.provide(CacheStore, layer)
        memory.setFailure(step, { reason: "Unknown", description: "ENOSPC: no space left on device" })
        const error = yield* Effect.flip(store.publish(render(cache("FR"))))
        assert.strictEqual(error._tag, "OutputError")
        assert.match(error.message, /ENOSPC|no space left/)
        assert.match(error.message, /previous file is left as it was/)
        assert.strictEqual(memory.read(TARGET), "previous")
        assert.deepStrictEqual(memory.paths(), [TARGET])
      }))
  }

  it.effect("names the step when the directory is not writable", () =>
    Effect.gen(function*() {
      const { layer, memory } = withMemoryStore({
        files: { [TARGET]: "previous" },
        failing: { open: { reason: "PermissionDenied", description: "EACCES: permission denied" } }
      })
      const error = yield* Effect.flip(
        Effect.flatMap(Effect.provide(CacheStore, layer), (store) => store.publish(render(cache("FR"))))
      )
      assert.match(error.message, /create temporary file/)
      assert.strictEqual(memory.read(TARGET), "previous")
    }))

  it.effect("removes the temporary file when interrupted mid-write", () =>
    Effect.gen(function*() {
      const { layer, memory } = withMemoryStore({ files: { [TARGET]: "previous" }, hangOn: "sync" })
      const store = yield* Effect.provide(CacheStore, layer)
      const fiber = yield* Effect.fork(store.publish(render(cache("FR"))))
      yield* Effect.yieldNow()
      assert.strictEqual(memory.paths().length, 2) // the temp file exists while the write hangs
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.deepStrictEqual(memory.paths(), [TARGET])
      assert.strictEqual(memory.read(TARGET), "previous")
    }))

  it.effect("sweeps temporary files a killed predecessor left, and nothing else", () =>
    Effect.gen(function*() {
      const { layer, memory } = withMemoryStore({
        files: {
          [TARGET]: "previous",
          [`${TEMP_PREFIX}abc123`]: "{ partial",
          [`${TEMP_PREFIX}def456`]: "",
          "/cache/other.json": "{}"
        }
      })
      const store = yield* Effect.provide(CacheStore, layer)
      assert.strictEqual(yield* store.removeLeftovers, 2)
      assert.deepStrictEqual(memory.paths(), ["/cache/carbon_cache.json", "/cache/other.json"])
    }))

  it.effect("reads back what it wrote; a file it cannot decode is left to the recall step to refuse", () =>
    Effect.gen(function*() {
      const { layer, memory } = withMemoryStore({ files: { [TARGET]: "{ not json" } })
      const store = yield* Effect.provide(CacheStore, layer)
      assert.isTrue(
        Option.isNone(
          yield* recallPrevious(
            [store],
            (zone) => ({ zone, emissionFactorType: "lifecycle", maxReadingAgeMinutes: 180 })
          )
        )
      )
      yield* store.publish(render(cache("DE")))
      assert.deepStrictEqual(yield* store.recall, Option.some(render(cache("DE")).contents))
      assert.isDefined(memory.read(TARGET))
    }))
})

describe("renderCache", () => {
  it.effect("writes keys in the contract's order whatever order the value was built in", () =>
    Effect.gen(function*() {
      const scrambled: CacheFile = {
        worst_region: "A",
        best_region: "A",
        sorted_by_carbon: ["A"],
        regions: {
          A: {
            timestamp: "2024-01-01T12:00:00",
            estimationMethod: null,
            isEstimated: true,
            emissionFactorType: "lifecycle",
            updatedAt: "u",
            datetime: "d",
            carbonIntensity: 1,
            zone: "A"
          }
        },
        ttl_minutes: 10,
        timestamp: "2024-01-01T12:00:00"
      }
      const rendered = JSON.parse(yield* renderCache(scrambled)) as { regions: { A: object } }
      assert.deepStrictEqual(Object.keys(rendered), CONTRACT_KEYS)
      assert.deepStrictEqual(Object.keys(rendered.regions.A), [
        "zone",
        "carbonIntensity",
        "datetime",
        "updatedAt",
        "emissionFactorType",
        "isEstimated",
        "estimationMethod",
        "timestamp"
      ])
    }))
})

describe("the cache file output on the real filesystem", () => {
  it.scoped("replaces the file atomically in a real directory with mode 0644 and no leftovers", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const target = `${dir}/nested/carbon_cache.json`
      const layer = CacheStoreLayer.pipe(
        Layer.provide(
          Layer.mergeAll(NodeFileSystem.layer, FileModes.layer, Path.layer, TestSettings.layer({ cacheFile: target }))
        )
      )
      const store = yield* Effect.provide(CacheStore, layer)
      yield* store.publish(render(cache("FR")))
      yield* store.publish(render(cache("DE")))
      const info = yield* fs.stat(target)
      assert.strictEqual(info.mode & 0o777, 0o644)
      assert.deepStrictEqual(JSON.parse(yield* fs.readFileString(target)).best_region, "DE")
      assert.deepStrictEqual(yield* fs.readDirectory(`${dir}/nested`), ["carbon_cache.json"])
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
