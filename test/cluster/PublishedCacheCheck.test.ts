/**
 * A published cache is checked before it is mirrored: every cache the writer produces passes, and
 * each hand edit that would present something stale, wrong or impossible as fresh is refused with
 * the problem named.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { checkPublishedCache, type PublishedExpectations } from "../../src/cluster/PublishedCacheCheck.js"
import { type CacheFile, renderCache } from "../../src/domain/CacheFile.js"
import { formatCacheTimestamp } from "../../src/domain/Time.js"
import { type FreshReading, nextCache } from "../../src/poll/Ranking.js"
import { aFailure, EM_SOURCE } from "../support/samples.js"

const MINUTE = 60_000
const NOW = Date.UTC(2026, 10, 27, 12, 20, 0)
const expected: PublishedExpectations = {
  ttlMinutes: 10,
  emissionFactorType: "lifecycle",
  maxReadingAgeMinutes: 180,
  now: NOW + 5_000
}

const fresh = (zone: string, carbonIntensity: number, fetchedAt = NOW - 1_500): FreshReading => ({
  zone,
  fetchedAt,
  source: EM_SOURCE,
  reading: {
    zone,
    carbonIntensity,
    datetime: "2026-11-27T12:00:00.000Z",
    updatedAt: "2026-11-27T11:50:00.000Z",
    createdAt: "2026-11-24T12:45:00.000Z",
    emissionFactorType: "lifecycle",
    isEstimated: true,
    estimationMethod: "TIME_SLICER_AVERAGE"
  }
})

/** What a leader writes: DE and FR fresh, PL kept from a poll 7.5 minutes ago, SE unavailable. */
const written = (): CacheFile => {
  const kept = nextCache({
    configuredZones: ["PL"],
    fresh: [fresh("PL", 600, NOW - 7.5 * MINUTE)],
    failures: [],
    previous: undefined,
    now: NOW - 7.5 * MINUTE,
    ttlMinutes: 10
  })!
  return {
    ...nextCache({
      configuredZones: ["DE", "FR", "PL", "SE"],
      fresh: [fresh("DE", 300), fresh("FR", 50)],
      failures: [aFailure("SE", "ServerError", "HTTP 503")],
      previous: kept,
      now: NOW,
      ttlMinutes: 10
    })!,
    best_windows: [{
      minutes: 60,
      zone: "FR",
      start: "2026-11-27T13:00:00Z",
      end: "2026-11-27T14:00:00Z",
      carbonIntensity: 41.5
    }],
    forecasts: {
      FR: {
        updatedAt: "2026-11-27T11:58:00.000Z",
        fetched: formatCacheTimestamp(NOW - MINUTE),
        best_windows: [{
          minutes: 60,
          start: "2026-11-27T13:00:00Z",
          end: "2026-11-27T14:00:00Z",
          carbonIntensity: 41.5
        }]
      }
    },
    unavailable_forecasts: {}
  }
}

const contentsOf = (cache: CacheFile) => renderCache(cache).contents
const problemsOf = (contents: string, settings = expected) =>
  Either.match(checkPublishedCache(contents, settings), { onLeft: (problems) => problems, onRight: () => [] })

describe("a published cache", () => {
  it("as the writer produces it (fresh, kept and unavailable zones, forecasts) is accepted", () => {
    const cache = written()
    assert.deepStrictEqual(Object.keys(cache.regions), ["DE", "FR", "PL"])
    assert.isTrue(cache.ttl_minutes < 10, "the kept value brought the expiry forward")
    assert.deepStrictEqual(problemsOf(contentsOf(cache)), [])
    assert.deepStrictEqual(Object.keys(cache.sources ?? {}), ["FR", "DE", "PL"])
    // A file of a version before `sources` is still mirrored.
    const { sources: _sources, ...withoutSources } = cache
    assert.deepStrictEqual(problemsOf(contentsOf(withoutSources)), [])
    // A newer writer's top-level addition does not stop the mirror.
    assert.deepStrictEqual(problemsOf(contentsOf(cache).replace("{\n", "{\n  \"a_later_key\": 1,\n")), [])
  })

  const edited = (edit: (cache: CacheFile) => CacheFile) => contentsOf(edit(written()))
  const hostile: ReadonlyArray<[string, () => string, RegExp]> = [
    ["not JSON", () => "{\"written by\": \"an operator\"", /not JSON/],
    ["a shape that is not the cache's", () => "{\"written by\": \"an operator\"}", /timestamp|is missing/],
    [
      "a value of 1e400",
      () => contentsOf(written()).replace("\"carbonIntensity\": 50,", "\"carbonIntensity\": 1e400,"),
      /regions\.FR: ImpossibleValue/
    ],
    [
      "a negative value",
      () => edited((c) => ({ ...c, regions: { ...c.regions, FR: { ...c.regions["FR"]!, carbonIntensity: -1 } } })),
      /ImpossibleValue/
    ],
    [
      "a provenance for a key not in regions",
      () => edited((c) => ({ ...c, sources: { ...c.sources, XX: EM_SOURCE } })),
      /sources\.XX is not in regions/
    ],
    [
      "a key in regions without its provenance",
      () => edited((c) => ({ ...c, sources: { DE: EM_SOURCE } })),
      /sources has no FR/
    ],
    [
      "a provenance of another emission factor",
      () => edited((c) => ({ ...c, sources: { ...c.sources, FR: { ...EM_SOURCE, emissionFactorType: "direct" } } })),
      /sources\.FR\.emissionFactorType direct/
    ],
    [
      "a best_region not in regions",
      () => edited((c) => ({ ...c, best_region: "XX" })),
      /best_region "XX" is not the first of the ranking/
    ],
    ["a worst_region that is not the last", () => edited((c) => ({ ...c, worst_region: "FR" })), /worst_region/],
    [
      "a ranking out of order",
      () => edited((c) => ({ ...c, sorted_by_carbon: ["DE", "FR", "PL"] })),
      /sorted_by_carbon/
    ],
    ["a ranking missing a zone", () => edited((c) => ({ ...c, sorted_by_carbon: ["FR", "DE"] })), /sorted_by_carbon/],
    [
      "a TTL of 1e9 minutes",
      () => edited((c) => ({ ...c, ttl_minutes: 1e9 })),
      /ttl_minutes 1000000000 is not within 0\.\.CACHE_TTL_MINUTES \(10\)/
    ],
    [
      "a TTL of 1e400",
      () => contentsOf(written()).replace(/"ttl_minutes": [\d.]+/, "\"ttl_minutes\": 1e400"),
      /ttl_minutes Infinity/
    ],
    ["a TTL longer than CACHE_TTL_MINUTES", () => edited((c) => ({ ...c, ttl_minutes: 11 })), /ttl_minutes 11/],
    [
      "a timestamp in the future",
      () => edited((c) => ({ ...c, timestamp: "3928-01-01T00:00:00" })),
      /timestamp 3928-01-01T00:00:00 is in the future/
    ],
    [
      "a timestamp that is no date",
      () => edited((c) => ({ ...c, timestamp: "2026-13-45T99:00:00" })),
      /timestamp is not a time/
    ],
    ["an expires_at that disagrees", () => edited((c) => ({ ...c, expires_at: "3928-01-01T00:00:00Z" })), /expires_at/],
    [
      "an entry under another zone's key",
      () => edited((c) => ({ ...c, regions: { ...c.regions, DE: { ...c.regions["DE"]!, zone: "FR" } } })),
      /regions\.DE: WrongZone/
    ],
    [
      "an entry fetched after the file",
      () =>
        edited((c) => ({
          ...c,
          regions: { ...c.regions, DE: { ...c.regions["DE"]!, timestamp: "2026-11-27T13:00:00" } }
        })),
      /regions\.DE was fetched after the file was produced/
    ],
    [
      "an entry older than the TTL",
      () =>
        edited((c) => ({
          ...c,
          regions: { ...c.regions, PL: { ...c.regions["PL"]!, timestamp: "2026-11-27T11:00:00" } }
        })),
      /regions\.PL was older than CACHE_TTL_MINUTES/
    ],
    [
      "an entry with a key the format does not have",
      () => contentsOf(written()).replace("\"zone\": \"DE\",", "\"zone\": \"DE\", \"note\": \"x\","),
      /regions\.DE: /
    ],
    [
      "an entry with an oversized field",
      () =>
        edited((c) => ({
          ...c,
          regions: { ...c.regions, DE: { ...c.regions["DE"]!, estimationMethod: "m".repeat(5_000) } }
        })),
      /TextTooLong/
    ],
    [
      "a stale reading",
      () =>
        edited((c) => ({
          ...c,
          regions: { ...c.regions, DE: { ...c.regions["DE"]!, datetime: "2026-11-20T12:00:00.000Z" } }
        })),
      /StaleReading/
    ],
    [
      "the other emission factor",
      () =>
        edited((c) => ({ ...c, regions: { ...c.regions, DE: { ...c.regions["DE"]!, emissionFactorType: "direct" } } })),
      /WrongEmissionFactor/
    ],
    [
      "a zone both ranked and unavailable",
      () => edited((c) => ({ ...c, unavailable: { DE: { reason: "NoData", message: "" } } })),
      /unavailable\.DE is also in regions/
    ],
    ["an empty regions", () => edited((c) => ({ ...c, regions: {}, sorted_by_carbon: [] })), /regions is empty/],
    [
      "a best window of 1e400",
      () => contentsOf(written()).replace("\"carbonIntensity\": 41.5", "\"carbonIntensity\": 1e400"),
      /best_windows\.0\.carbonIntensity is out of range/
    ],
    [
      "a best window that ends before it starts",
      () => edited((c) => ({ ...c, best_windows: [{ ...c.best_windows![0]!, end: "2026-11-27T12:00:00Z" }] })),
      /best_windows\.0 has no valid start and end/
    ]
  ]
  for (const [what, contents, problem] of hostile) {
    it(`with ${what} is refused, naming the problem`, () => {
      const problems = problemsOf(contents())
      assert.isAbove(problems.length, 0, "accepted")
      assert.match(problems.join("; "), problem)
      assert.isTrue(problems.every((p) => p.length < 400), problems.join("; "))
    })
  }

  it("names at most a bounded text for a hostile zone key", () => {
    const key = "Z".repeat(100_000)
    const problems = problemsOf(edited((c) => ({ ...c, best_region: key })))
    assert.isTrue(problems.every((p) => p.length < 400))
  })
})
