/** What to poll and how often: the zones, the cadence, how many requests at once, how old a reading may be. */
import { Config, ConfigError, Context, Either } from "effect"
import { ZONE_KEY_PATTERN } from "../domain/Reading.js"
import { positiveNumber, wholeNumber } from "./Variables.js"

export const DEFAULT_ZONES = "US-CAL-CISO,US-TEX-ERCO,US-NY-NYIS,US-MIDA-PJM,US-MIDW-MISO"

/**
 * The shortest interval against a remote API: its plan's calls cost money and its values change
 * hourly. A loopback URL (the simulator, a local proxy under test) may poll faster.
 */
export const MIN_REMOTE_POLL_INTERVAL_MINUTES = 1

export interface PollingSettings {
  readonly zones: ReadonlyArray<string>
  readonly pollIntervalMinutes: number
  readonly maxConcurrency: number
  /** A reading older than this when it arrives is refused as stale. */
  readonly maxReadingAgeMinutes: number
}

export class PollingConfig extends Context.Tag("carbon-poller/PollingConfig")<PollingConfig, PollingSettings>() {}

/** Comma-separated keys; spaces trimmed, duplicates dropped, case kept (keys are case-sensitive). */
export const parseZones = (raw: string): Either.Either<ReadonlyArray<string>, string> => {
  const zones = [...new Set(raw.split(",").map((zone) => zone.trim()).filter((zone) => zone !== ""))]
  if (zones.length === 0) return Either.left("must list at least one zone key, comma-separated, e.g. US-CAL-CISO,DE")
  const bad = zones.filter((zone) => !ZONE_KEY_PATTERN.test(zone))
  if (bad.length > 0) {
    return Either.left(
      `zone keys hold only letters, digits and '-' (as in US-CAL-CISO); not valid: ${
        bad.map((zone) => JSON.stringify(zone)).join(", ")
      }`
    )
  }
  return Either.right(zones)
}

export const pollingConfig: Config.Config<PollingSettings> = Config.all({
  zones: Config.string("ZONES").pipe(
    Config.mapOrFail((raw) => Either.mapLeft(parseZones(raw), (message) => ConfigError.InvalidData([], message))),
    Config.withDefault(DEFAULT_ZONES.split(","))
  ),
  pollIntervalMinutes: positiveNumber("POLL_INTERVAL_MINUTES", { fallback: 5, unit: "minutes" }),
  maxConcurrency: wholeNumber("MAX_CONCURRENCY", { fallback: 5, min: 1, max: 256, what: "requests in flight at once" }),
  maxReadingAgeMinutes: positiveNumber("MAX_READING_AGE_MINUTES", { fallback: 180, unit: "minutes", max: 10_080 })
})
