/** What one poll did, for the summary log line, `/readyz`, `--once` and the demo's table. */
import type { Option } from "effect"
import type { CacheFile } from "../domain/CacheFile.js"
import type { SourceError } from "../ports/CarbonSource.js"
import type { FreshReading } from "./Ranking.js"

export interface OutputFailure {
  readonly output: string
  readonly message: string
}

export interface PollSummary {
  readonly fresh: ReadonlyArray<FreshReading>
  readonly failures: ReadonlyArray<SourceError>
  /** The cache this poll ranked, if any zone was usable. */
  readonly ranked: Option.Option<CacheFile>
  /** The cache written by this poll: every output took it. */
  readonly written: Option.Option<CacheFile>
  /** Outputs that refused this poll's cache. */
  readonly outputFailures: ReadonlyArray<OutputFailure>
  readonly durationMillis: number
}
