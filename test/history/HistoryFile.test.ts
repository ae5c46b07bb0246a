import { Path } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Random } from "effect"
import type { CacheEntry } from "../../src/domain/CacheFile.js"
import { formatCacheTimestamp } from "../../src/domain/Time.js"
import * as HistoryFile from "../../src/history/HistoryFile.js"
import { emptyHistory, record } from "../../src/history/ReadingHistory.js"
import { makeMemoryFileSystem } from "../support/MemoryFileSystem.js"

const HOUR = 3_600_000
const T0 = Date.UTC(2024, 2, 6, 0, 0, 0)
const CACHE_FILE = "/cache/carbon_cache.json"
const TARGET = "/cache/carbon_cache.history.json"

const entry = (zone: string, hours: number, carbonIntensity: number, emissionFactorType = "lifecycle"): CacheEntry => ({
  zone,
  carbonIntensity,
  datetime: new Date(T0 + hours * HOUR).toISOString(),
  updatedAt: new Date(T0 + hours * HOUR - 10 * 60_000).toISOString(),
  createdAt: new Date(T0 + hours * HOUR - 72 * HOUR).toISOString(),
  emissionFactorType,
  isEstimated: false,
  estimationMethod: null,
  timestamp: formatCacheTimestamp(T0 + hours * HOUR + 5 * 60_000)
})

const expectations = (zone: string) => ({ zone, emissionFactorType: "lifecycle", maxReadingAgeMinutes: 180 })

/** A history file over this in-memory filesystem. */
const historyFileOn = (memory: ReturnType<typeof makeMemoryFileSystem>, cacheFile = CACHE_FILE) =>
  HistoryFile.make(cacheFile, expectations).pipe(
    Effect.provide(Layer.merge(memory.layer, Path.layer)),
    Effect.withRandom(Random.make("history"))
  )

/** A test body with every log line's message collected into `logLines`. */
const withLogs = <A, E>(body: (logLines: Array<string>) => Effect.Effect<A, E>) => () => {
  const logLines: Array<string> = []
  return body(logLines).pipe(
    Effect.provide(
      Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void logLines.push(String(message))))
    )
  )
}

describe("the history file", () => {
  it.effect("is named after the cache file and kept beside it", () =>
    Effect.gen(function*() {
      const path = yield* Path.Path
      assert.strictEqual(HistoryFile.historyPathFor(path, CACHE_FILE), TARGET)
      assert.strictEqual(HistoryFile.historyPathFor(path, "/data/cache"), "/data/cache.history.json")
    }).pipe(Effect.provide(Path.layer)))

  it.effect(
    "is read back by the next process: the history survives a restart",
    withLogs((logLines) =>
      Effect.gen(function*() {
        const memory = makeMemoryFileSystem()
        const first = yield* historyFileOn(memory)
        const history = record(emptyHistory, { DE: entry("DE", 1, 400), FR: entry("FR", 1, 50) }, T0 + 2 * HOUR)
        yield* first.save(record(history, { DE: entry("DE", 2, 380) }, T0 + 2 * HOUR))
        // Replaced atomically: only the file itself is left, its temporary file gone.
        assert.deepStrictEqual(memory.paths(), [TARGET])
        assert.isTrue(memory.everCreated().some((path) => path.startsWith("/cache/.carbon_cache.history.json.tmp-")))
        assert.strictEqual(memory.modeOf(TARGET), 0o644)

        const restarted = yield* historyFileOn(memory)
        const loaded = yield* restarted.load(T0 + 3 * HOUR)
        assert.deepStrictEqual(
          (loaded.get("DE") ?? []).map((point) => point.entry.carbonIntensity),
          [400, 380]
        )
        assert.deepStrictEqual(loaded.get("FR")?.[0]?.entry, entry("FR", 1, 50))
        assert.deepStrictEqual(logLines, [])
      })
    )
  )

  it.effect("drops what aged out while the process was down", () =>
    Effect.gen(function*() {
      const memory = makeMemoryFileSystem()
      const file = yield* historyFileOn(memory)
      yield* file.save(record(emptyHistory, { DE: entry("DE", 1, 400), FR: entry("FR", 20, 50) }, T0 + 20 * HOUR))
      const loaded = yield* file.load(T0 + 25 * HOUR)
      assert.deepStrictEqual([...loaded.keys()], ["FR"])
    }))

  it.effect(
    "reports a corrupt file and starts a fresh history, which the next write replaces",
    withLogs((logLines) =>
      Effect.gen(function*() {
        const memory = makeMemoryFileSystem({ files: { [TARGET]: "{\"version\":1,\"zones\":{\"DE\":[" } })
        const file = yield* historyFileOn(memory)
        const loaded = yield* file.load(T0)
        assert.strictEqual(loaded.size, 0)
        assert.strictEqual(logLines.length, 1)
        assert.include(logLines[0], `reading history ${TARGET}`)
        assert.include(logLines[0], "starting a fresh history")
        yield* file.save(record(emptyHistory, { DE: entry("DE", 1, 400) }, T0 + HOUR))
        assert.strictEqual((yield* file.load(T0 + HOUR)).get("DE")?.length, 1)
      })
    )
  )

  it.effect(
    "drops, and names, points another emission factor or a broken entry left behind",
    withLogs((logLines) =>
      Effect.gen(function*() {
        const direct = record(emptyHistory, { DE: entry("DE", 1, 300, "direct") }, T0 + HOUR)
        const good = record(emptyHistory, { FR: entry("FR", 1, 50) }, T0 + HOUR)
        const contents = HistoryFile.renderHistory(new Map([...direct, ...good])).replace(
          "\"zones\":{",
          "\"zones\":{\"NL\":[{\"zone\":\"NL\",\"carbonIntensity\":\"high\"}],"
        )
        const memory = makeMemoryFileSystem({ files: { [TARGET]: contents } })
        const loaded = yield* (yield* historyFileOn(memory)).load(T0 + 2 * HOUR)
        assert.deepStrictEqual([...loaded.keys()].sort(), ["FR"])
        assert.strictEqual(logLines.length, 1)
        assert.include(logLines[0], "a point of DE is refused (WrongEmissionFactor)")
        assert.include(logLines[0], "a point of NL does not decode")
      })
    )
  )

  it.effect(
    "removes a temporary file a killed predecessor left, and keeps the history in memory when a write fails",
    withLogs((logLines) =>
      Effect.gen(function*() {
        const leftover = "/cache/.carbon_cache.history.json.tmp-abc123"
        const memory = makeMemoryFileSystem({ files: { [leftover]: "{" } })
        const file = yield* historyFileOn(memory)
        yield* file.load(T0)
        assert.deepStrictEqual(memory.paths(), [])
        memory.setFailure("writeAll", { reason: "Unknown", description: "ENOSPC: no space left on device" })
        yield* file.save(record(emptyHistory, { DE: entry("DE", 1, 400) }, T0 + HOUR))
        assert.deepStrictEqual(memory.paths(), [])
        assert.strictEqual(logLines.length, 1)
        assert.include(logLines[0], "cannot write it (write:")
      })
    )
  )

  it.effect(
    "beside a cache file whose name leaves no room for its own, is said once and kept in memory only",
    withLogs((logLines) =>
      Effect.gen(function*() {
        // A 235-byte name: the cache's temporary name fits in 255 bytes, the history's does not.
        const cacheFile = `/cache/${"c".repeat(230)}.json`
        const memory = makeMemoryFileSystem()
        const file = yield* historyFileOn(memory, cacheFile)
        assert.strictEqual((yield* file.load(T0)).size, 0)
        yield* file.save(record(emptyHistory, { DE: entry("DE", 1, 400) }, T0 + HOUR))
        yield* file.save(record(emptyHistory, { DE: entry("DE", 2, 400) }, T0 + 2 * HOUR))
        assert.deepStrictEqual(memory.everCreated(), [])
        assert.strictEqual(logLines.length, 1)
        assert.match(logLines[0] ?? "", /over the 255-byte limit on a file name.*kept in memory only/)
      })
    )
  )
})
