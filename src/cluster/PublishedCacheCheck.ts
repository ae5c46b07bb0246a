/**
 * Whether a cache read from the ConfigMap may be mirrored into `CACHE_FILE`. Anyone allowed to edit
 * the ConfigMap (an operator, a script, another program) could hand every replica a cache that
 * looks fresh and is not: a value of 1e400, a best region that is not in `regions`, a TTL that
 * keeps it valid for centuries. So a published cache is checked by the rules the writer keeps
 * (docs/cache-format.md) before it is mirrored: the shape, each entry by the reading rules, the
 * ranking against `regions`, every time parsed and in range, the TTL within `CACHE_TTL_MINUTES`.
 *
 * Plain functions over the text and the settings; the time is an argument.
 */
import { Either, ParseResult, Schema } from "effect"
import { CacheEntry, CacheFile } from "../domain/CacheFile.js"
import { parseCacheTimestamp, parseRfc3339Instant } from "../domain/Time.js"
import { rankZones } from "../poll/Ranking.js"
import { checkReading, MAX_CARBON_INTENSITY } from "../poll/ReadingRules.js"

export interface PublishedExpectations {
  /** `CACHE_TTL_MINUTES`: no published cache may claim a longer validity. */
  readonly ttlMinutes: number
  readonly emissionFactorType: string
  readonly maxReadingAgeMinutes: number
  /** Epoch milliseconds when the check is made. */
  readonly now: number
}

/**
 * Clocks of the replicas' nodes agree within seconds; a cache produced further in the future than
 * this was not produced by a leader's clock.
 */
export const MAX_CLOCK_SKEW_MILLIS = 60_000
/** The writer's longest `unavailable` message is about 550 characters. */
export const MAX_UNAVAILABLE_MESSAGE = 1_024

const MILLIS_PER_MINUTE = 60_000

const decodeCache = Schema.decodeUnknownEither(CacheFile)
const decodeEntry = Schema.decodeUnknownEither(CacheEntry)

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const firstIssue = (error: ParseResult.ParseError): string => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  return issue === undefined ? "does not decode" : `${issue.path.join(".") || "(top)"}: ${issue.message}`.slice(0, 200)
}

/** A key as it appears in a problem: a hostile key must not make the message as long as itself. */
const key = (zone: string): string => (zone.length > 64 ? `${zone.slice(0, 64)}…` : zone)

const sameList = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) =>
  a.length === b.length && a.every((item, i) => item === b[i])

const isIntensity = (value: number) => Number.isFinite(value) && value >= 0 && value <= MAX_CARBON_INTENSITY

/**
 * The problems of each entry: its shape (no key the format does not have), the reading rules with
 * its own `timestamp` as the moment it was fetched, and its age when the file was produced (a value
 * is kept only while younger than the TTL).
 */
const entryProblems = (
  regions: Readonly<Record<string, unknown>>,
  producedAt: number,
  expected: PublishedExpectations
): Array<string> =>
  Object.entries(regions).flatMap(([zone, raw]) => {
    const where = `regions.${key(zone)}`
    const entry = decodeEntry(raw, { onExcessProperty: "error" })
    if (Either.isLeft(entry)) return [`${where}: ${firstIssue(entry.left)}`]
    const fetchedAt = parseCacheTimestamp(entry.right.timestamp)
    if (fetchedAt === undefined) return [`${where}.timestamp is not a time`]
    if (fetchedAt > producedAt) return [`${where} was fetched after the file was produced`]
    if (producedAt - fetchedAt >= expected.ttlMinutes * MILLIS_PER_MINUTE) {
      return [`${where} was older than CACHE_TTL_MINUTES (${expected.ttlMinutes}) when the file was produced`]
    }
    const refusal = checkReading(entry.right, { ...expected, zone }, fetchedAt)
    return refusal === undefined ? [] : [`${where}: ${refusal.reason}: ${refusal.message}`]
  })

/**
 * The provenance, when present (a file of a version before `sources` has none): one per key in
 * `regions`, none for a key outside it, each of the deployment's emission factor.
 */
const sourceProblems = (cache: CacheFile, expected: PublishedExpectations): Array<string> => {
  if (cache.sources === undefined) return []
  const sources = cache.sources
  return [
    ...Object.keys(cache.regions).filter((zone) => !(zone in sources)).map((zone) => `sources has no ${key(zone)}`),
    ...Object.entries(sources).flatMap(([zone, source]) =>
      !(zone in cache.regions)
        ? [`sources.${key(zone)} is not in regions`]
        : source.emissionFactorType !== expected.emissionFactorType
        ? [
          `sources.${
            key(zone)
          }.emissionFactorType ${source.emissionFactorType} answers a request for ${expected.emissionFactorType}`
        ]
        : []
    )
  ]
}

/** The forecast keys, when present: values in range and times that parse. */
const forecastProblems = (cache: CacheFile): Array<string> => {
  const problems: Array<string> = []
  const windows = [
    ...(cache.best_windows ?? []).map((window, i) => [`best_windows.${i}`, window] as const),
    ...Object.entries(cache.forecasts ?? {}).flatMap(([zone, forecast]) => {
      if (parseCacheTimestamp(forecast.fetched) === undefined) problems.push(`forecasts.${zone}.fetched is not a time`)
      if (forecast.updatedAt !== undefined && parseRfc3339Instant(forecast.updatedAt) === undefined) {
        problems.push(`forecasts.${zone}.updatedAt is not an RFC 3339 instant`)
      }
      return forecast.best_windows.map((window, i) => [`forecasts.${zone}.best_windows.${i}`, window] as const)
    })
  ]
  for (const [where, window] of windows) {
    const start = parseRfc3339Instant(window.start)
    const end = parseRfc3339Instant(window.end)
    if (!isIntensity(window.carbonIntensity)) problems.push(`${where}.carbonIntensity is out of range`)
    if (start === undefined || end === undefined || end <= start) problems.push(`${where} has no valid start and end`)
  }
  return problems
}

/**
 * The published cache, decoded, when it may be mirrored; otherwise every problem found (the log and
 * `/readyz` name them).
 */
export const checkPublishedCache = (
  contents: string,
  expected: PublishedExpectations
): Either.Either<CacheFile, ReadonlyArray<string>> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(contents)
  } catch {
    return Either.left(["not JSON"])
  }
  const decoded = decodeCache(parsed)
  if (Either.isLeft(decoded)) return Either.left([firstIssue(decoded.left)])
  const cache = decoded.right
  const problems: Array<string> = []
  const producedAt = parseCacheTimestamp(cache.timestamp)
  if (producedAt === undefined) return Either.left(["timestamp is not a time"])
  if (producedAt > expected.now + MAX_CLOCK_SKEW_MILLIS) problems.push(`timestamp ${cache.timestamp} is in the future`)
  const ttl = cache.ttl_minutes
  if (!(Number.isFinite(ttl) && ttl > 0 && ttl <= expected.ttlMinutes)) {
    problems.push(`ttl_minutes ${String(ttl)} is not within 0..CACHE_TTL_MINUTES (${expected.ttlMinutes})`)
  }
  const expiry = producedAt + (Number.isFinite(ttl) ? ttl : 0) * MILLIS_PER_MINUTE
  if (cache.expires_at !== undefined) {
    const said = parseRfc3339Instant(cache.expires_at)
    if (said === undefined || Math.abs(said - expiry) >= 1_000) {
      problems.push(`expires_at ${JSON.stringify(cache.expires_at.slice(0, 40))} is not timestamp + ttl_minutes`)
    }
  }
  const zones = Object.keys(cache.regions)
  const rawRegions = isRecord(parsed) && isRecord(parsed["regions"]) ? parsed["regions"] : {}
  if (zones.length === 0) problems.push("regions is empty")
  for (const problem of entryProblems(rawRegions, producedAt, expected)) problems.push(problem)
  const ranked = rankZones(cache.regions)
  if (!sameList(cache.sorted_by_carbon, ranked)) {
    problems.push("sorted_by_carbon is not the zones of regions ranked by carbonIntensity")
  }
  if (cache.best_region !== ranked[0]) {
    problems.push(`best_region ${JSON.stringify(key(cache.best_region))} is not the first of the ranking`)
  }
  if (cache.worst_region !== ranked.at(-1)) {
    problems.push(`worst_region ${JSON.stringify(key(cache.worst_region))} is not the last of the ranking`)
  }
  for (const [zone, missing] of Object.entries(cache.unavailable ?? {})) {
    if (zone in cache.regions) problems.push(`unavailable.${key(zone)} is also in regions`)
    if (missing.reason.length > 64 || missing.message.length > MAX_UNAVAILABLE_MESSAGE) {
      problems.push(`unavailable.${key(zone)} is too long`)
    }
  }
  for (const problem of sourceProblems(cache, expected)) problems.push(problem)
  for (const problem of forecastProblems(cache)) problems.push(problem)
  return problems.length === 0 ? Either.right(cache) : Either.left(problems)
}
