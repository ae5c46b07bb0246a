/**
 * The failures that end the process, and the exit code of each (documented in docs/exit-codes.md
 * and `--help`). Everything else (API outages, a full disk) is logged and tried again.
 */
import { Data } from "effect"
import type { InvalidConfig } from "../config/Variables.js"
import type { HttpPortUnavailable } from "../http/HttpListener.js"
import type { PollSummary } from "../poll/PollSummary.js"
import type { NoValidZones } from "../poll/ZoneCheck.js"
import type { SourceError } from "../ports/CarbonSource.js"

export class UsageError extends Data.TaggedError("UsageError")<{ readonly detail: string; readonly usage: string }> {
  override get message(): string {
    return `${this.detail}\n${this.usage}`
  }
}

/** `--once` ended without a cache: says whether nothing was usable or the write itself failed. */
export class NoCacheWritten extends Data.TaggedError("NoCacheWritten")<{ readonly summary: PollSummary }> {
  override get message(): string {
    const { failures, outputFailures } = this.summary
    if (outputFailures.length > 0) {
      return `--once: no cache was written: ${outputFailures.map((failure) => failure.message).join("; ")}`
    }
    const zones = failures.map((failure) => `${failure.zone}: ${failure.reason}`).join("; ")
    return `--once: no cache was written: no usable zone${zones === "" ? "" : ` (${zones})`}`
  }
}

/** The `zones` command found nothing to list. */
export class NoZoneMatches extends Data.TaggedError("NoZoneMatches")<{ readonly search: string | undefined }> {
  override get message(): string {
    return this.search === undefined ? "the zone catalogue is empty" : `no zone matches ${JSON.stringify(this.search)}`
  }
}

export type FatalError =
  | InvalidConfig
  | UsageError
  | NoValidZones
  | HttpPortUnavailable
  | NoCacheWritten
  | NoZoneMatches
  | SourceError

export const exitCodeOf = (error: FatalError): number => {
  switch (error._tag) {
    case "InvalidConfig":
    case "UsageError":
      return 2
    case "NoValidZones":
      return 3
    case "HttpPortUnavailable":
      return 4
    case "NoCacheWritten":
    case "NoZoneMatches":
    case "SourceError":
      return 1
  }
}
