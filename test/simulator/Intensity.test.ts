import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { carbonIntensity, isLowCarbon, latestReading, lifecycleIntensity } from "../../src/simulator/Intensity.js"
import zones from "../../src/simulator/zones.json" with { type: "json" }

const HOUR = 3_600_000
const MARCH_6_2024 = Date.parse("2024-03-06T00:00:00.000Z")

describe("Intensity", () => {
  it.prop(
    "is a function of seed, zone and instant",
    {
      seed: FastCheck.string(),
      zone: FastCheck.constantFrom(...Object.keys(zones)),
      at: FastCheck.integer({ min: 0, max: 4_102_444_800_000 })
    },
    ({ at, seed, zone }) => {
      assert.deepStrictEqual(latestReading(seed, zone, at, "lifecycle"), latestReading(seed, zone, at, "lifecycle"))
    }
  )

  it.prop(
    "stamps the current hour, updated minutes before it, created about three days earlier",
    { at: FastCheck.integer({ min: 0, max: 4_102_444_800_000 }) },
    ({ at }) => {
      const reading = latestReading("1", "DE", at, "direct")
      const datetime = Date.parse(reading.datetime)
      assert.strictEqual(datetime % HOUR, 0)
      assert.isTrue(datetime <= at && at < datetime + HOUR)
      assert.isTrue(Date.parse(reading.updatedAt) < datetime)
      assert.isTrue(datetime - Date.parse(reading.createdAt) > 2 * 24 * HOUR)
      assert.strictEqual(reading.estimationMethod === null, !reading.isEstimated)
      assert.strictEqual(reading.temporalGranularity, "hourly")
      assert.strictEqual(reading.emissionFactorType, "direct")
    }
  )

  it("stays within 20..800 gCO2eq/kWh (±swing) for every zone, low-carbon grids lowest", () => {
    for (const zone of Object.keys(zones)) {
      for (let hour = 0; hour < 24; hour += 6) {
        const value = lifecycleIntensity("7", zone, MARCH_6_2024 + hour * HOUR)
        assert.isTrue(value >= 1 && value <= 1_050, `${zone}: ${value}`)
        if (isLowCarbon(zone)) assert.isTrue(value <= 160, `${zone}: ${value}`)
      }
    }
    assert.isTrue(isLowCarbon("FR") && isLowCarbon("SE-SE3") && isLowCarbon("CA-QC"))
    assert.isFalse(isLowCarbon("FR-COR") || isLowCarbon("DE") || isLowCarbon("SEN"))
  })

  it("moves along the day", () => {
    const day = Array.from({ length: 24 }, (_, hour) => lifecycleIntensity("1", "DE", MARCH_6_2024 + hour * HOUR))
    const spread = Math.max(...day) - Math.min(...day)
    assert.isTrue(spread > 0.2 * Math.min(...day), `spread ${spread} over ${day.join(",")}`)
  })

  it("depends on the seed", () => {
    const values = (seed: string) =>
      ["DE", "FR", "PL", "US-CAL-CISO"].map((z) => lifecycleIntensity(seed, z, MARCH_6_2024))
    assert.notDeepEqual(values("1"), values("2"))
  })

  it("counts direct emissions below lifecycle", () => {
    for (const zone of ["DE", "FR", "US-MIDW-MISO", "NO-NO1"]) {
      assert.isTrue(
        carbonIntensity("1", zone, MARCH_6_2024, "direct") < carbonIntensity("1", zone, MARCH_6_2024, "lifecycle")
      )
    }
  })
})
