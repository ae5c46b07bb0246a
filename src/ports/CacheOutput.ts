/**
 * The output port: where a rendered cache goes. The poll renders the cache once and hands the same
 * bytes to every configured output; `/cache` serves those bytes too. The atomic file writer is the
 * first adapter (src/outputs/file/FileOutput.ts); adding one (a ConfigMap, an object store) is one adapter
 * plus one line in `outputs` in src/app/AppLayer.ts.
 */
import { Context, Data, type Effect, type Option } from "effect"
import type { RenderedCache } from "../domain/CacheFile.js"

export class OutputError extends Data.TaggedError("OutputError")<{
  /** The output's name, e.g. `file /cache/carbon_cache.json`. */
  readonly output: string
  /** The step that failed, e.g. `rename over target`. */
  readonly step: string
  readonly detail: string
  /** What the reader still has, e.g. "the previous file is left as it was". */
  readonly keeps: string
  readonly cause?: unknown
}> {
  override get message(): string {
    // Whether it is tried again is the poll loop's to say (a `--once` run is not).
    return `cannot write ${this.output} (${this.step}): ${this.detail} — ${this.keeps}`
  }
}

export interface CacheOutputShape {
  readonly name: string
  /** Replaces what this output holds with the rendered cache, all or nothing. */
  readonly publish: (rendered: RenderedCache) => Effect.Effect<void, OutputError>
  /** What this output held before this process started, as published bytes, if anything. */
  readonly recall: Effect.Effect<Option.Option<string>>
}

/** Every configured output, in the order they are written. */
export class CacheOutputs
  extends Context.Tag("carbon-poller/CacheOutputs")<CacheOutputs, ReadonlyArray<CacheOutputShape>>()
{}
