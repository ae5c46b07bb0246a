/**
 * The reading history kept beside the cache file, so a restart does not leave consumers of the
 * `history` route with one point. Named after `CACHE_FILE` (`carbon_cache.json` →
 * `carbon_cache.history.json`), so two services sharing a directory keep two histories, and
 * replaced atomically like the cache. Read back, every point passes the same rules a recalled cache
 * entry does (a point of another emission factor, after a configuration change, is dropped); a file
 * that cannot be read is reported and a fresh history started, never a reason to stop.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Effect, Either, Schema } from "effect"
import { CacheEntry } from "../domain/CacheFile.js"
import * as AtomicFile from "../outputs/file/AtomicFile.js"
import { nameProblem } from "../outputs/file/WritablePath.js"
import { checkReading, type ReadingExpectations } from "../poll/ReadingRules.js"
import { emptyHistory, type HistoryPoint, pointOf, prune, type ReadingHistory } from "./ReadingHistory.js"

const VERSION = 1

const HistoryFileShape = Schema.parseJson(Schema.Struct({
  version: Schema.Literal(VERSION),
  zones: Schema.Record({ key: Schema.String, value: Schema.Array(Schema.Unknown) })
}))

const decodeShape = Schema.decodeUnknownEither(HistoryFileShape)
const decodeEntry = Schema.decodeUnknownEither(CacheEntry)

/** `<dir>/<name>.history.json` beside the cache file, its `.json` replaced. */
export const historyPathFor = (path: Path.Path, cacheFile: string): string => {
  const target = path.resolve(cacheFile)
  const base = path.basename(target).replace(/\.json$/, "")
  return path.join(path.dirname(target), `${base}.history.json`)
}

/** Entries are already in their encoded form (strings, numbers, booleans), so they are written as they are. */
export const renderHistory = (history: ReadingHistory): string => {
  const zones: Record<string, ReadonlyArray<CacheEntry>> = {}
  for (const [zone, points] of history) zones[zone] = points.map((point) => point.entry)
  return `${JSON.stringify({ version: VERSION, zones })}\n`
}

export interface ReadBack {
  readonly history: ReadingHistory
  /** One line per point dropped, or the reason the whole file was not used. */
  readonly problems: ReadonlyArray<string>
}

/** Pure: the usable points of a history file as of `now`, and what was wrong with the rest. */
export const readHistory = (
  contents: string,
  expectations: (zone: string) => ReadingExpectations,
  now: number
): ReadBack => {
  const shape = decodeShape(contents)
  if (Either.isLeft(shape)) {
    return { history: emptyHistory, problems: ["it is not a history this version can read; starting a fresh history"] }
  }
  const history = new Map<string, ReadonlyArray<HistoryPoint>>()
  const problems: Array<string> = []
  for (const [zone, raws] of Object.entries(shape.right.zones)) {
    const points: Array<HistoryPoint> = []
    for (const raw of raws) {
      const entry = decodeEntry(raw, { onExcessProperty: "error" })
      const point = Either.isRight(entry) ? pointOf(entry.right) : undefined
      const refusal = point === undefined ? undefined : checkReading(point.entry, expectations(zone), point.fetchedAt)
      if (point === undefined || refusal !== undefined) {
        problems.push(
          `a point of ${zone} ${refusal === undefined ? "does not decode" : `is refused (${refusal.reason})`}`
        )
        continue
      }
      points.push(point)
    }
    // Written sorted and one per datetime; a hand-edited file is put back in that order.
    const byInstant = new Map(points.map((point) => [point.at, point]))
    history.set(zone, [...byInstant.values()].sort((a, b) => a.at - b.at))
  }
  return { history: prune(history, now), problems }
}

export interface HistoryFile {
  readonly target: string
  /** What the file holds as of `now`; an absent file is an empty history, a bad one is reported. */
  readonly load: (now: number) => Effect.Effect<ReadingHistory>
  /** Replaces the file; a failure is logged and the history stays in memory. */
  readonly save: (history: ReadingHistory) => Effect.Effect<void>
}

export const make = (cacheFile: string, expectations: (zone: string) => ReadingExpectations) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = yield* AtomicFile.make(historyPathFor(path, cacheFile))
    const target = file.target
    // Its name is longer than the cache file's, which the start checked: a name the filesystem
    // cannot hold is said once, and the history kept in memory only, not tried at every poll.
    const unnamable = nameProblem(target, AtomicFile.tempNameFor(path, target), path)

    const load = (now: number): Effect.Effect<ReadingHistory> =>
      Effect.gen(function*() {
        if (unnamable !== undefined) {
          yield* Effect.logWarning(
            `reading history ${target}: ${unnamable}; the history is kept in memory only and starts afresh at each restart`
          )
          return emptyHistory
        }
        yield* file.removeLeftovers
        const contents = yield* Effect.either(fs.readFileString(target))
        if (Either.isLeft(contents)) {
          const error = contents.left
          if (error._tag === "SystemError" && error.reason === "NotFound") return emptyHistory
          yield* Effect.logWarning(
            `reading history ${target}: cannot read it (${error.message}); starting a fresh history`
          )
          return emptyHistory
        }
        const { history, problems } = readHistory(contents.right, expectations, now)
        if (problems.length > 0) {
          yield* Effect.logWarning(
            `reading history ${target}: ${problems.slice(0, 5).join("; ")}${
              problems.length > 5 ? `; and ${problems.length - 5} more` : ""
            }`
          )
        }
        return history
      })

    const save = (history: ReadingHistory): Effect.Effect<void> =>
      unnamable !== undefined ? Effect.void : file.write(renderHistory(history)).pipe(
        Effect.catchAll((error) =>
          Effect.logWarning(
            `reading history ${target}: cannot write it (${error.step}: ${error.detail}); the history is kept in memory and written again after the next poll`
          )
        )
      )

    return { target, load, save } satisfies HistoryFile
  })
