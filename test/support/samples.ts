/**
 * Values many tests build: a reading as a source hands it over, a cache entry and a cache as a
 * poll writes them, the keys every reader of the file relies on, and a zone's failure. Each takes
 * overrides, so a test states only what it is about.
 */
import type { CacheEntry, CacheFile, SourceProvenance } from "../../src/domain/CacheFile.js"
import type { Reading } from "../../src/domain/Reading.js"
import { type FailureReason, SourceError } from "../../src/ports/CarbonSource.js"

/** The file's first keys, in the order it writes them: what every reader relies on. */
export const CONTRACT_KEYS: ReadonlyArray<string> = [
  "timestamp",
  "ttl_minutes",
  "regions",
  "sorted_by_carbon",
  "best_region",
  "worst_region"
]

/** The keys a file has without forecasts: the contract's, then the additions, forecast keys after them. */
export const PRE_FORECAST_KEYS: ReadonlyArray<string> = [...CONTRACT_KEYS, "expires_at", "unavailable", "sources"]

/** A lifecycle reading for the noon slot of 2024-01-01, not estimated. */
export const aReading = (zone: string, carbonIntensity: number, overrides: Partial<Reading> = {}): Reading => ({
  zone,
  carbonIntensity,
  datetime: "2024-01-01T12:00:00Z",
  updatedAt: "2024-01-01T12:00:00Z",
  emissionFactorType: "lifecycle",
  isEstimated: false,
  ...overrides
})

/** That reading as a cache entry, fetched at noon. */
export const aCacheEntry = (
  zone: string,
  carbonIntensity: number,
  overrides: Partial<CacheEntry> = {}
): CacheEntry => ({
  ...aReading(zone, carbonIntensity),
  timestamp: "2024-01-01T12:00:00",
  ...overrides
})

/** A cache of the given entries, ranked in the order given, produced at noon with a 10-minute TTL. */
export const aCache = (
  entries: ReadonlyArray<CacheEntry>,
  overrides: Partial<Pick<CacheFile, "timestamp" | "ttl_minutes">> = {}
): CacheFile => ({
  timestamp: "2024-01-01T12:00:00",
  ttl_minutes: 10,
  regions: Object.fromEntries(entries.map((entry) => [entry.zone, entry])),
  sorted_by_carbon: entries.map((entry) => entry.zone),
  best_region: entries[0]!.zone,
  worst_region: entries.at(-1)!.zone,
  ...overrides
})

/** A zone's failure as the poll keeps it; `said` is what its `unavailable` entry says. */
export const aFailure = (zone: string, reason: FailureReason, said: string): SourceError =>
  new SourceError({ zone, reason, providerMessage: said, detail: `zone ${zone}: ${reason}: ${said}` })

/** Where a value of an Electricity Maps zone, ranked as the default basis, came from. */
export const EM_SOURCE: SourceProvenance = {
  provider: "electricitymaps",
  signal: "average",
  emissionFactorType: "lifecycle",
  fallback: false
}
