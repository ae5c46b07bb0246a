import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc, Schema } from "effect"

import { type CacheEntry, CacheFile } from "../../src/domain/CacheFile.js"
import type { Reading as UsableReading } from "../../src/domain/Reading.js"
import { formatCacheTimestamp, parseCacheTimestamp } from "../../src/domain/Time.js"
import { type FreshReading, isWithinTtl, nextCache, rankZones } from "../../src/poll/Ranking.js"
import { aFailure, aReading, EM_SOURCE } from "../support/samples.js"

const NOON = Date.UTC(2024, 0, 1, 12, 0, 0)
const MINUTE = 60_000

const reading = (zone: string, carbonIntensity: number, extra: Partial<UsableReading> = {}): FreshReading => ({
  zone,
  fetchedAt: NOON,
  source: EM_SOURCE,
  reading: aReading(zone, carbonIntensity, { createdAt: "2024-01-01T12:00:00Z", ...extra })
})

describe("nextCache", () => {
  it("reproduces the reference example of docs/cache-format.md to the letter", () => {
    const cache = nextCache({
      configuredZones: ["US-CAL-CISO", "US-NY-NYIS"],
      fresh: [
        reading("US-CAL-CISO", 250.5),
        {
          zone: "US-NY-NYIS",
          fetchedAt: NOON,
          source: EM_SOURCE,
          reading: {
            zone: "US-NY-NYIS",
            carbonIntensity: 118,
            datetime: "2024-01-01T12:00:00.000Z",
            updatedAt: "2024-01-01T11:48:27.926Z",
            createdAt: "2023-12-29T12:47:16.265Z",
            emissionFactorType: "lifecycle",
            isEstimated: true,
            estimationMethod: "TIME_SLICER_AVERAGE"
          }
        }
      ],
      failures: [],
      previous: undefined,
      now: NOON,
      ttlMinutes: 10
    })
    assert.isDefined(cache)
    const { expires_at, sources, unavailable, ...contractKeys } = cache!
    assert.deepStrictEqual(JSON.parse(JSON.stringify(contractKeys)), {
      timestamp: "2024-01-01T12:00:00",
      ttl_minutes: 10,
      regions: {
        "US-CAL-CISO": {
          zone: "US-CAL-CISO",
          carbonIntensity: 250.5,
          datetime: "2024-01-01T12:00:00Z",
          updatedAt: "2024-01-01T12:00:00Z",
          createdAt: "2024-01-01T12:00:00Z",
          emissionFactorType: "lifecycle",
          isEstimated: false,
          timestamp: "2024-01-01T12:00:00"
        },
        "US-NY-NYIS": {
          zone: "US-NY-NYIS",
          carbonIntensity: 118,
          datetime: "2024-01-01T12:00:00.000Z",
          updatedAt: "2024-01-01T11:48:27.926Z",
          createdAt: "2023-12-29T12:47:16.265Z",
          emissionFactorType: "lifecycle",
          isEstimated: true,
          estimationMethod: "TIME_SLICER_AVERAGE",
          timestamp: "2024-01-01T12:00:00"
        }
      },
      sorted_by_carbon: ["US-NY-NYIS", "US-CAL-CISO"],
      best_region: "US-NY-NYIS",
      worst_region: "US-CAL-CISO"
    })
    // Field order of an entry follows the contract's example, as the old writer produced it.
    assert.deepStrictEqual(Object.keys(cache!.regions["US-NY-NYIS"]!), [
      "zone",
      "carbonIntensity",
      "datetime",
      "updatedAt",
      "createdAt",
      "emissionFactorType",
      "isEstimated",
      "estimationMethod",
      "timestamp"
    ])
    assert.strictEqual(expires_at, "2024-01-01T12:10:00Z")
    assert.deepStrictEqual(unavailable, {})
    // Every key in regions says where its value came from, in the ranking's order.
    assert.deepStrictEqual(sources, { "US-NY-NYIS": EM_SOURCE, "US-CAL-CISO": EM_SOURCE })
  })

  it("leaves a missing createdAt missing and passes a null estimationMethod through", () => {
    const { createdAt: _omitted, ...withoutCreatedAt } = reading("FR", 103).reading
    const cache = nextCache({
      configuredZones: ["FR"],
      fresh: [{
        zone: "FR",
        fetchedAt: NOON,
        source: EM_SOURCE,
        reading: { ...withoutCreatedAt, estimationMethod: null, temporalGranularity: "hourly" }
      }],
      failures: [],
      previous: undefined,
      now: NOON,
      ttlMinutes: 10
    })!
    const entry = cache.regions["FR"]!
    assert.isFalse("createdAt" in entry)
    assert.strictEqual(entry.estimationMethod, null)
    assert.strictEqual(entry.temporalGranularity, "hourly")
  })

  it("stamps each entry with when its own answer arrived, the file with when it was produced", () => {
    const late = { ...reading("B", 20), fetchedAt: NOON + 40_000 }
    const cache = nextCache({
      configuredZones: ["A", "B"],
      fresh: [reading("A", 10), late],
      failures: [],
      previous: undefined,
      now: NOON + 45_000,
      ttlMinutes: 10
    })!
    assert.strictEqual(cache.regions["A"]!.timestamp, "2024-01-01T12:00:00")
    assert.strictEqual(cache.regions["B"]!.timestamp, "2024-01-01T12:00:40")
    assert.strictEqual(cache.timestamp, "2024-01-01T12:00:45")
  })

  it("breaks ties by zone key so the order never depends on fetch order", () => {
    const cache = nextCache({
      configuredZones: ["ZZ", "AA", "MM"],
      fresh: [reading("ZZ", 100), reading("MM", 50), reading("AA", 100)],
      failures: [],
      previous: undefined,
      now: NOON,
      ttlMinutes: 10
    })!
    assert.deepStrictEqual(cache.sorted_by_carbon, ["MM", "AA", "ZZ"])
    assert.strictEqual(cache.best_region, "MM")
    assert.strictEqual(cache.worst_region, "ZZ")
  })

  it("writes nothing when no zone is usable, even with a previous cache", () => {
    const previous = nextCache({
      configuredZones: ["A"],
      fresh: [reading("A", 1)],
      failures: [],
      previous: undefined,
      now: NOON,
      ttlMinutes: 10
    })
    assert.isUndefined(
      nextCache({
        configuredZones: ["A"],
        fresh: [],
        failures: [aFailure("A", "Timeout", "no answer")],
        previous,
        now: NOON + MINUTE,
        ttlMinutes: 10
      })
    )
  })

  describe("last-known-good", () => {
    const first = nextCache({
      configuredZones: ["A", "B"],
      fresh: [reading("A", 10), reading("B", 20)],
      failures: [],
      previous: undefined,
      now: NOON,
      ttlMinutes: 10
    })!
    const failedB = (minutesLater: number) =>
      nextCache({
        configuredZones: ["A", "B"],
        fresh: [reading("A", 30)],
        failures: [aFailure("B", "ServerError", "502 Bad Gateway")],
        previous: first,
        now: NOON + minutesLater * MINUTE,
        ttlMinutes: 10
      })!

    it("keeps a failed zone's last entry, with its old timestamp, while it is younger than the TTL", () => {
      const cache = failedB(9)
      assert.deepStrictEqual(cache.regions["B"], first.regions["B"])
      assert.strictEqual(cache.regions["B"]!.timestamp, "2024-01-01T12:00:00")
      assert.deepStrictEqual(cache.sorted_by_carbon, ["B", "A"])
      assert.deepStrictEqual(cache.unavailable, {})
    })

    it("drops it from regions and ranking once it is as old as the TTL, and says why", () => {
      const cache = failedB(10)
      assert.isFalse("B" in cache.regions)
      assert.deepStrictEqual(cache.sorted_by_carbon, ["A"])
      assert.deepStrictEqual(cache.unavailable, { B: { reason: "ServerError", message: "502 Bad Gateway" } })
    })

    it("brings the file's validity forward to a kept entry's, in whole minutes, so no reader is handed a value older than the TTL", () => {
      const cache = failedB(9)
      // B was fetched at 12:00 with a 10-minute TTL: the file written at 12:09 is valid until 12:10.
      assert.strictEqual(cache.ttl_minutes, 1)
      assert.strictEqual(cache.expires_at, "2024-01-01T12:10:00Z")
      // At 12:00:30, 9.5 minutes are left: a reader may hold ttl_minutes in an integer, so 9.
      assert.strictEqual(failedB(0.5).ttl_minutes, 9)
      assert.strictEqual(failedB(0.5).expires_at, "2024-01-01T12:09:30Z")
    })

    it("drops a kept value with less than a whole minute left rather than write a file valid for none", () => {
      const cache = failedB(9.5)
      assert.isFalse("B" in cache.regions)
      assert.strictEqual(cache.ttl_minutes, 10)
      assert.deepStrictEqual(cache.unavailable, { B: { reason: "ServerError", message: "502 Bad Gateway" } })
    })

    it("keeps a kept value's validity to the second when the configured TTL has a fraction", () => {
      const fractional = (secondsLater: number) =>
        nextCache({
          configuredZones: ["A", "B"],
          fresh: [reading("A", 30)],
          failures: [aFailure("B", "ServerError", "502 Bad Gateway")],
          previous: first,
          now: NOON + secondsLater * 1000,
          ttlMinutes: 1.5
        })!
      const cache = fractional(40)
      assert.isTrue("B" in cache.regions)
      assert.strictEqual(Math.round(cache.ttl_minutes * 60), 50)
      assert.strictEqual(cache.expires_at, "2024-01-01T12:01:30Z")
    })

    it("keeps the configured TTL when every entry is fresh", () => {
      assert.strictEqual(first.ttl_minutes, 10)
      assert.strictEqual(first.expires_at, "2024-01-01T12:10:00Z")
    })

    it.prop(
      "never hands a reader that trusts timestamp + ttl_minutes an entry older than the TTL",
      [fc.array(fc.integer({ min: 0, max: 20 * 60 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 30 })],
      ([ages, ttlMinutes]) => {
        const now = NOON + 60 * MINUTE
        const zones = ages.map((_, i) => `Z${i}`)
        const previous = nextCache({
          configuredZones: zones,
          fresh: zones.map((zone, i) => ({ ...reading(zone, i), fetchedAt: now - ages[i]! * 1000 })),
          failures: [],
          previous: undefined,
          now: now - Math.max(...ages) * 1000,
          ttlMinutes
        })!
        const cache = nextCache({
          configuredZones: [...zones, "FRESH"],
          fresh: [{ ...reading("FRESH", 1), fetchedAt: now }],
          failures: zones.map((zone) => aFailure(zone, "Timeout", "no answer")),
          previous,
          now,
          ttlMinutes
        })!
        const validUntil = parseCacheTimestamp(cache.timestamp)! + cache.ttl_minutes * MINUTE
        for (const entry of Object.values(cache.regions)) {
          assert.isAtMost(validUntil - parseCacheTimestamp(entry.timestamp)!, ttlMinutes * MINUTE)
        }
        assert.strictEqual(Date.parse(cache.expires_at!), validUntil)
        assert.isTrue(Number.isInteger(cache.ttl_minutes))
      }
    )

    it("forgets zones that are no longer configured", () => {
      const cache = nextCache({
        configuredZones: ["A"],
        fresh: [reading("A", 30)],
        failures: [],
        previous: first,
        now: NOON + MINUTE,
        ttlMinutes: 10
      })!
      assert.deepStrictEqual(Object.keys(cache.regions), ["A"])
    })
  })
})

describe("timestamps", () => {
  it("writes UTC as YYYY-MM-DDTHH:MM:SS with no offset and no fraction", () => {
    assert.strictEqual(formatCacheTimestamp(Date.UTC(2024, 0, 1, 12, 0, 0, 999)), "2024-01-01T12:00:00")
    assert.strictEqual(parseCacheTimestamp("2024-01-01T12:00:00"), Date.UTC(2024, 0, 1, 12))
    assert.isUndefined(parseCacheTimestamp("2024-01-01T12:00:00Z"))
  })
})

// Property tests: the invariants the scheduler relies on, over arbitrary polls.
const zoneKey = fc.stringMatching(/^[A-Z]{1,3}(-[A-Z]{1,4})?$/)
const intensity = fc.oneof(fc.integer({ min: 0, max: 1500 }), fc.double({ min: 0, max: 1500, noNaN: true }))
const pollArb = fc
  .uniqueArray(
    fc.record({
      zone: zoneKey,
      value: intensity,
      fresh: fc.boolean(),
      previousAgeMinutes: fc.option(fc.integer({ min: 0, max: 30 }))
    }),
    {
      selector: (z) => z.zone,
      minLength: 1,
      maxLength: 12
    }
  )
  .map((zones) => ({ zones, ttlMinutes: 10 }))

const previousFrom = (zones: ReadonlyArray<{ zone: string; value: number; previousAgeMinutes: number | null }>) => {
  const regions: Record<string, CacheEntry> = {}
  for (const z of zones) {
    if (z.previousAgeMinutes === null) continue
    regions[z.zone] = {
      ...reading(z.zone, z.value + 1).reading,
      timestamp: formatCacheTimestamp(NOON - z.previousAgeMinutes * MINUTE)
    }
  }
  const sorted = rankZones(regions)
  return sorted.length === 0
    ? undefined
    : {
      timestamp: "2024-01-01T11:00:00",
      ttl_minutes: 10,
      regions,
      sorted_by_carbon: sorted,
      best_region: sorted[0]!,
      worst_region: sorted.at(-1)!
    }
}

type Poll = typeof pollArb extends fc.Arbitrary<infer P> ? P : never
const rankPoll = (poll: Poll) =>
  nextCache({
    configuredZones: poll.zones.map((z) => z.zone),
    fresh: poll.zones.filter((z) => z.fresh).map((z) => reading(z.zone, z.value)),
    failures: [],
    previous: previousFrom(poll.zones),
    now: NOON,
    ttlMinutes: poll.ttlMinutes
  })

describe("nextCache properties", () => {
  it.prop("is sorted, with best and worst at the ends, and ranks exactly the zones in regions", [pollArb], ([poll]) => {
    const cache = rankPoll(poll)
    if (!poll.zones.some((z) => z.fresh)) return cache === undefined
    assert.isDefined(cache)
    const sorted = cache!.sorted_by_carbon
    for (let i = 1; i < sorted.length; i++) {
      const a = cache!.regions[sorted[i - 1]!]!
      const b = cache!.regions[sorted[i]!]!
      assert.isTrue(
        a.carbonIntensity < b.carbonIntensity || (a.carbonIntensity === b.carbonIntensity && a.zone < b.zone)
      )
    }
    assert.strictEqual(cache!.best_region, sorted[0])
    assert.strictEqual(cache!.worst_region, sorted.at(-1))
    assert.deepStrictEqual([...sorted].sort(), Object.keys(cache!.regions).sort())
    assert.isTrue(Schema.is(CacheFile)(cache))
    return true
  })

  it.prop("never holds an entry as old as the TTL, and keeps every younger one", [pollArb], ([poll]) => {
    const cache = rankPoll(poll)
    if (cache === undefined) return true
    for (const entry of Object.values(cache.regions)) assert.isTrue(isWithinTtl(entry, NOON, poll.ttlMinutes))
    for (const z of poll.zones) {
      const expected = z.fresh || (z.previousAgeMinutes !== null && z.previousAgeMinutes < poll.ttlMinutes)
      assert.strictEqual(z.zone in cache.regions, expected, z.zone)
    }
    return true
  })
})
