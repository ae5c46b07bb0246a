/**
 * The cache a restarted service starts from: what its outputs held. Each entry is decoded and
 * checked on its own, so one bad entry (or a newer key this version does not know) costs only that
 * entry, never every last-known-good value; whatever is refused is reported.
 */
import { Effect, Either, Option, Schema } from "effect"
import { CacheEntry, SourceProvenance } from "../domain/CacheFile.js"
import { parseCacheTimestamp } from "../domain/Time.js"
import type { CacheOutputShape } from "../ports/CacheOutput.js"
import { checkReading, type ReadingExpectations } from "./ReadingRules.js"

export interface PreviousCache {
  readonly regions: Readonly<Record<string, CacheEntry>>
  /** Where each kept entry came from, as its file said (a file without `sources` says nothing). */
  readonly sources?: Readonly<Record<string, SourceProvenance>> | undefined
}

const decodeEntry = Schema.decodeUnknownEither(CacheEntry)
const decodeProvenance = Schema.decodeUnknownEither(SourceProvenance)

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

interface Recalled {
  readonly previous: Option.Option<PreviousCache>
  /** One line per problem, for the log. */
  readonly problems: ReadonlyArray<string>
}

/** Pure: the usable entries of a previously published cache, and what was wrong with the rest. */
export const recallEntries = (contents: string, expectations: (zone: string) => ReadingExpectations): Recalled => {
  let parsed: unknown
  try {
    parsed = JSON.parse(contents)
  } catch {
    return {
      previous: Option.none(),
      problems: ["the previous cache is not JSON; starting without last-known-good values"]
    }
  }
  const regions = isRecord(parsed) ? parsed["regions"] : undefined
  if (!isRecord(regions)) {
    return {
      previous: Option.none(),
      problems: ["the previous cache has no regions; starting without last-known-good values"]
    }
  }
  const kept: Record<string, CacheEntry> = {}
  const problems: Array<string> = []
  for (const [zone, raw] of Object.entries(regions)) {
    const entry = decodeEntry(raw, { onExcessProperty: "error" })
    if (Either.isLeft(entry)) {
      problems.push(`previous entry for ${zone} does not decode; dropped`)
      continue
    }
    const fetchedAt = parseCacheTimestamp(entry.right.timestamp)
    const refusal = fetchedAt === undefined ? undefined : checkReading(entry.right, expectations(zone), fetchedAt)
    if (refusal !== undefined) {
      problems.push(`previous entry for ${zone} refused (${refusal.reason}: ${refusal.message}); dropped`)
      continue
    }
    kept[zone] = entry.right
  }
  // An entry's provenance is kept with it; one that does not decode leaves the entry to its key's provider.
  const rawSources = isRecord(parsed) && isRecord(parsed["sources"]) ? parsed["sources"] : {}
  const sources: Record<string, SourceProvenance> = {}
  for (const zone of Object.keys(kept)) {
    const source = decodeProvenance(rawSources[zone])
    if (Either.isRight(source)) sources[zone] = source.right
  }
  return { previous: Option.some({ regions: kept, sources }), problems }
}

/** The first output that remembers a cache wins (outputs are listed most local first). */
export const recallPrevious = (
  outputs: ReadonlyArray<CacheOutputShape>,
  expectations: (zone: string) => ReadingExpectations
): Effect.Effect<Option.Option<PreviousCache>> =>
  Effect.gen(function*() {
    for (const output of outputs) {
      const contents = yield* output.recall
      if (Option.isNone(contents)) continue
      const recalled = recallEntries(contents.value, expectations)
      for (const problem of recalled.problems) yield* Effect.logWarning(`${output.name}: ${problem}`)
      return recalled.previous
    }
    return Option.none()
  })
