/** What to poll and how often: the zones, the cadence, how many requests at once, how old a reading may be. */
import { Config, ConfigError, Context, Either } from "effect"
import { parseZoneChains, type ZoneChain } from "../domain/ZoneChain.js"
import { positiveNumber, wholeNumber } from "./Variables.js"

export const DEFAULT_ZONES = "US-CAL-CISO,US-TEX-ERCO,US-NY-NYIS,US-MIDA-PJM,US-MIDW-MISO"

/**
 * The shortest interval against a remote API: its plan's calls cost money and its values change
 * hourly. A loopback URL (the simulator, a local proxy under test) may poll faster.
 */
export const MIN_REMOTE_POLL_INTERVAL_MINUTES = 1

/** One week; liveness allows two intervals, and a longer interval leaves every cache expired anyway. */
export const MAX_POLL_INTERVAL_MINUTES = 10_080

export interface PollingSettings {
  /** Each entry's key (its chain's first link): the keys of the file, in the configured order. */
  readonly zones: ReadonlyArray<string>
  /** Each entry as configured: its key and the links asked in turn (`GB|ukci:national`). */
  readonly chains: ReadonlyArray<ZoneChain>
  readonly pollIntervalMinutes: number
  readonly maxConcurrency: number
  /** A reading older than this when it arrives is refused as stale. */
  readonly maxReadingAgeMinutes: number
}

export class PollingConfig extends Context.Tag("carbon-poller/PollingConfig")<PollingConfig, PollingSettings>() {}

const chainsConfig: Config.Config<ReadonlyArray<ZoneChain>> = Config.string("ZONES").pipe(
  Config.mapOrFail((raw) => Either.mapLeft(parseZoneChains(raw), (message) => ConfigError.InvalidData([], message))),
  Config.withDefault(Either.getOrThrow(parseZoneChains(DEFAULT_ZONES)))
)

export const pollingConfig: Config.Config<PollingSettings> = Config.all({
  chains: chainsConfig,
  pollIntervalMinutes: positiveNumber("POLL_INTERVAL_MINUTES", {
    fallback: 5,
    unit: "minutes",
    max: MAX_POLL_INTERVAL_MINUTES
  }),
  maxConcurrency: wholeNumber("MAX_CONCURRENCY", { fallback: 5, min: 1, max: 256, what: "requests in flight at once" }),
  maxReadingAgeMinutes: positiveNumber("MAX_READING_AGE_MINUTES", { fallback: 180, unit: "minutes", max: 10_080 })
}).pipe(Config.map((settings) => ({ ...settings, zones: settings.chains.map((chain) => chain.key) })))
