/**
 * From one poll's results and the previous cache, the next cache value. Plain functions over plain
 * data: no Effect, no clock, no I/O; the current time is an argument. This is where the cache's
 * rules live: ranking and ties, last-known-good within the TTL, nothing usable means no write.
 *
 * A reader trusts the file until `timestamp + ttl_minutes` and must never be handed an entry older
 * than the TTL by then. A value kept from an earlier poll turns TTL-old before a fresh one does, so
 * when the file carries one, the file's validity is brought forward to that entry's: `ttl_minutes`
 * (and `expires_at`) then say less than the configured TTL, in whole minutes rounded down when the
 * configured TTL is whole (readers may hold it in an integer; a kept value with less than a whole
 * minute left is then dropped). With only fresh values, `ttl_minutes` is the configured TTL.
 */
import type { CacheEntry, CacheFile, SourceProvenance, UnavailableZone } from "../domain/CacheFile.js"
import { parseZoneRef } from "../domain/Provider.js"
import { PROVIDER_FACTS } from "../domain/ProviderFacts.js"
import type { Reading } from "../domain/Reading.js"
import { formatCacheTimestamp, formatRfc3339, parseCacheTimestamp } from "../domain/Time.js"
import type { SourceError } from "../ports/CarbonSource.js"

export interface FreshReading {
  /** The configured zone key the reading was asked for. */
  readonly zone: string
  readonly reading: Reading
  /** Epoch milliseconds when the answer arrived: the entry's `timestamp`, from which its TTL runs. */
  readonly fetchedAt: number
  /** Who gave it: the provider of the link that answered, the basis, whether it was a fallback. */
  readonly source: SourceProvenance
}

export interface RankInput {
  readonly configuredZones: ReadonlyArray<string>
  readonly fresh: ReadonlyArray<FreshReading>
  readonly failures: ReadonlyArray<SourceError>
  /** What the previous cache held: its entries and where they came from. */
  readonly previous: {
    readonly regions: Readonly<Record<string, CacheEntry>>
    readonly sources?: Readonly<Record<string, SourceProvenance>> | undefined
  } | undefined
  /** Epoch milliseconds when this poll's results are ranked: the file's `timestamp`. */
  readonly now: number
  readonly ttlMinutes: number
}

const MILLIS_PER_MINUTE = 60_000

/** The cache entry of a fresh reading: the API's fields as sent, in the contract's order. */
export const toCacheEntry = (reading: Reading, fetchedAt: number): CacheEntry => ({
  zone: reading.zone,
  carbonIntensity: reading.carbonIntensity,
  datetime: reading.datetime,
  ...(reading.updatedAt !== undefined ? { updatedAt: reading.updatedAt } : {}),
  ...(reading.createdAt !== undefined ? { createdAt: reading.createdAt } : {}),
  emissionFactorType: reading.emissionFactorType,
  isEstimated: reading.isEstimated,
  ...(reading.estimationMethod !== undefined ? { estimationMethod: reading.estimationMethod } : {}),
  ...(reading.temporalGranularity !== undefined
    ? { temporalGranularity: reading.temporalGranularity }
    : {}),
  timestamp: formatCacheTimestamp(fetchedAt)
})

/**
 * A kept entry's provenance: as its file said, or, from a file written before `sources` existed,
 * its key's own provider (no fallbacks then) and the basis that provider gives.
 */
const keptProvenance = (
  zone: string,
  entry: CacheEntry,
  sources: Readonly<Record<string, SourceProvenance>> | undefined
): SourceProvenance => {
  const said = sources?.[zone]
  if (said !== undefined) return said
  const { provider } = parseZoneRef(zone)
  return {
    provider,
    signal: PROVIDER_FACTS[provider].signal,
    emissionFactorType: entry.emissionFactorType === "direct" ? "direct" : "lifecycle",
    fallback: false
  }
}

/** An entry may stand in for a failed fetch only while its own `timestamp` is younger than the TTL. */
export const isWithinTtl = (entry: CacheEntry, now: number, ttlMinutes: number): boolean => {
  const fetchedAt = parseCacheTimestamp(entry.timestamp)
  if (fetchedAt === undefined) return false
  const age = now - fetchedAt
  return age >= 0 && age < ttlMinutes * MILLIS_PER_MINUTE
}

const compareZoneKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Cleanest first; equal intensities by zone key, so the order never depends on fetch order. */
export const rankZones = (regions: Readonly<Record<string, CacheEntry>>): Array<string> =>
  Object.keys(regions).sort((a, b) => {
    const byIntensity = regions[a]!.carbonIntensity - regions[b]!.carbonIntensity
    return byIntensity !== 0 ? byIntensity : compareZoneKeys(a, b)
  })

/**
 * What is left of a kept value's validity, as `ttl_minutes` may say it: whole minutes rounded down
 * when the configured TTL is whole (readers may hold it in an integer), else to the second.
 */
const validityLeft = (millisLeft: number, configuredTtlMinutes: number): number =>
  Number.isInteger(configuredTtlMinutes)
    ? Math.floor(millisLeft / MILLIS_PER_MINUTE)
    : Math.floor(millisLeft / 1000) / 60

/**
 * The next cache, or `undefined` when this poll produced no usable zone: then nothing is written
 * and the previous file stays until it expires on its own.
 */
export const nextCache = (input: RankInput): CacheFile | undefined => {
  if (input.fresh.length === 0) return undefined

  const regions: Record<string, CacheEntry> = {}
  const sources: Record<string, SourceProvenance> = {}
  const keptMinutesLeft: Array<number> = []
  const ttlMillis = input.ttlMinutes * MILLIS_PER_MINUTE
  const producedAt = Math.floor(input.now / 1000) * 1000
  const freshByZone = new Map(input.fresh.map((f) => [f.zone, f] as const))
  for (const zone of input.configuredZones) {
    const fresh = freshByZone.get(zone)
    if (fresh !== undefined) {
      regions[zone] = toCacheEntry(fresh.reading, fresh.fetchedAt)
      sources[zone] = fresh.source
      continue
    }
    const lastGood = input.previous?.regions[zone]
    const keptAt = lastGood === undefined ? undefined : parseCacheTimestamp(lastGood.timestamp)
    const minutesLeft = keptAt === undefined ? 0 : validityLeft(keptAt + ttlMillis - producedAt, input.ttlMinutes)
    if (lastGood !== undefined && isWithinTtl(lastGood, input.now, input.ttlMinutes) && minutesLeft > 0) {
      regions[zone] = lastGood
      sources[zone] = keptProvenance(zone, lastGood, input.previous?.sources)
      keptMinutesLeft.push(minutesLeft)
    }
  }

  const sorted = rankZones(regions)
  const failureByZone = new Map(input.failures.map((f) => [f.zone, f] as const))
  const unavailable: Record<string, UnavailableZone> = {}
  for (const zone of input.configuredZones) {
    if (zone in regions) continue
    const failure = failureByZone.get(zone)
    unavailable[zone] = failure
      ? { reason: failure.reason, message: failure.said }
      : { reason: "Unknown", message: "no result for this zone in this poll" }
  }

  const ttlMinutes = Math.min(input.ttlMinutes, ...keptMinutesLeft)
  const expiresAt = producedAt + ttlMinutes * MILLIS_PER_MINUTE
  return {
    timestamp: formatCacheTimestamp(producedAt),
    ttl_minutes: ttlMinutes,
    regions,
    sorted_by_carbon: sorted,
    best_region: sorted[0]!,
    worst_region: sorted[sorted.length - 1]!,
    expires_at: formatRfc3339(expiresAt),
    unavailable,
    sources: Object.fromEntries(sorted.map((zone) => [zone, sources[zone]!]))
  }
}
