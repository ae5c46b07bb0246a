/**
 * The cache a restarted service starts from: what its outputs held, decoded. Only entries that
 * still decode are kept, so last-known-good values survive a restart.
 */
import { Effect, Option, Schema } from "effect"
import { CacheFile } from "../domain/CacheFile.js"
import type { CacheOutputShape } from "../ports/CacheOutput.js"

const decodeCache = Schema.decodeUnknownOption(Schema.parseJson(CacheFile))

/** The first output that remembers a readable cache wins (outputs are listed most local first). */
export const recallPrevious = (outputs: ReadonlyArray<CacheOutputShape>): Effect.Effect<Option.Option<CacheFile>> =>
  Effect.reduce(
    outputs,
    Option.none<CacheFile>(),
    (found, output) =>
      Option.isSome(found) ? Effect.succeed(found) : Effect.map(output.recall, Option.flatMap(decodeCache))
  )
