/** The exporter's ConfigMap layout, pure: records, the past kept, the six data keys, recall. */
import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import {
  goTimeString,
  LOOKBACK_MILLIS,
  mergeSlots,
  recallSlots,
  RECORDS_KEY,
  renderExporter,
  type Slot,
  slotsOfStep,
  SMALLEST_VALUE
} from "../../../src/outputs/keda/ExporterFormat.js"
import { at, HOUR, MINUTE } from "../../forecast/support.js"
import { findCarbonForecast, maxReplicasFor, unmarshalCarbonForecasts } from "./operator.js"

const T0 = at("2024-03-06T10:00:00Z")
const hourly = (start: number, values: ReadonlyArray<number>): ReadonlyArray<Slot> =>
  values.map((value, i) => ({ start: start + i * HOUR, minutes: 60, value }))

describe("records of a forecast step", () => {
  it("an hourly step is one record of 60 minutes", () => {
    assert.deepStrictEqual(slotsOfStep({ at: T0, end: T0 + HOUR, value: 300 }), [{
      start: T0,
      minutes: 60,
      value: 300
    }])
  })

  it("a longer step is cut into records of at most an hour, so the operator looks again within the hour", () => {
    const slots = slotsOfStep({ at: T0, end: T0 + 150 * MINUTE, value: 300 })
    assert.deepStrictEqual(slots.map((s) => s.minutes), [60, 60, 30])
    assert.deepStrictEqual(slots.map((s) => s.start), [T0, T0 + HOUR, T0 + 2 * HOUR])
  })

  it("a step that is not whole minutes is rounded up, never down to a gap or to zero", () => {
    assert.deepStrictEqual(slotsOfStep({ at: T0, end: T0 + 90_000, value: 1 }).map((s) => s.minutes), [2])
    assert.deepStrictEqual(slotsOfStep({ at: T0, end: T0, value: 1 }).map((s) => s.minutes), [1])
  })

  it("a zero value is written as the smallest positive value: the operator's cleanest tier reads value > 0", () => {
    const [slot] = slotsOfStep({ at: T0, end: T0 + HOUR, value: 0 })
    assert.strictEqual(slot?.value, SMALLEST_VALUE)
    const tiers = [{ carbonIntensityThreshold: 100, maxReplicas: 10 }, {
      carbonIntensityThreshold: 500,
      maxReplicas: 2
    }]
    assert.strictEqual(maxReplicasFor(slot?.value ?? Number.NaN, tiers), 10)
    // What a zero would have got: the dirtiest tier.
    assert.strictEqual(maxReplicasFor(0, tiers), 2)
  })
})

describe("the past kept beside a new forecast", () => {
  it("keeps what came before the new forecast, replaces what it covers, and cuts a record it starts inside", () => {
    const kept = [...hourly(T0 - 3 * HOUR, [100, 200, 300]), ...hourly(T0, [400, 500])]
    const fresh = hourly(T0 + 30 * MINUTE, [900])
    const merged = mergeSlots(kept, fresh, T0 + 40 * MINUTE)
    assert.deepStrictEqual(merged.map((s) => [s.start, s.minutes, s.value]), [
      [T0 - 3 * HOUR, 60, 100],
      [T0 - 2 * HOUR, 60, 200],
      [T0 - HOUR, 60, 300],
      [T0, 30, 400],
      [T0 + 30 * MINUTE, 60, 900]
    ])
  })

  it("drops what ended more than a day ago", () => {
    // The first record ended at 11:00 a day ago: gone; the second ends at 12:00: still in the look-back.
    const now = T0 + LOOKBACK_MILLIS + 90 * MINUTE
    const merged = mergeSlots(hourly(T0, [1, 2, 3]), hourly(now, [9]), now)
    assert.deepStrictEqual(merged.map((s) => s.value), [2, 3, 9])
  })
})

describe("the exporter's ConfigMap contents", () => {
  it("write Go's time layout, as time.Time.String() does for UTC", () => {
    assert.strictEqual(goTimeString(at("2023-03-31T00:00:00Z")), "2023-03-31 00:00:00 +0000 UTC")
    assert.strictEqual(goTimeString(at("2023-03-30T23:57:26.041Z")), "2023-03-30 23:57:26.041 +0000 UTC")
    assert.strictEqual(goTimeString(at("2023-03-30T23:57:26.500Z")), "2023-03-30 23:57:26.5 +0000 UTC")
  })

  it("are the six data keys and one binaryData key, the records readable by the operator", () => {
    const slots = hourly(T0, [549.970284, 589.701421, 560])
    const contents = renderExporter({ zone: "US-MIDA-PJM", slots, now: T0 + 5 * MINUTE, message: "" })
    assert.deepStrictEqual(contents.data, {
      lastHeartbeatTime: "2024-03-06 10:05:00 +0000 UTC",
      message: "",
      numOfRecords: "3",
      forecastDateTime: "2024-03-06 10:00:00 +0000 UTC",
      minForecast: "549.970284",
      maxForecast: "589.701421"
    })
    assert.deepStrictEqual(Object.keys(contents.binaryData), [RECORDS_KEY])
    const text = Buffer.from(contents.binaryData[RECORDS_KEY] ?? "", "base64").toString("utf8")
    // The exporter's field order and layouts, record for record.
    assert.strictEqual(
      text.split("},")[0],
      `[{"location":"US-MIDA-PJM","timestamp":"2024-03-06T10:00:00Z","duration":60,"value":549.970284`
    )
    const forecasts = unmarshalCarbonForecasts(Buffer.from(contents.binaryData[RECORDS_KEY] ?? "", "base64"))
    assert.deepStrictEqual(findCarbonForecast(forecasts, T0 + 90 * MINUTE), {
      location: "US-MIDA-PJM",
      timestamp: T0 + HOUR,
      duration: 60,
      value: 589.701421
    })
  })
})

describe("the exporter's forecast keys", () => {
  // Past records dirtier than anything ahead and cleaner than anything ahead, kept for the look back.
  const past = hourly(T0 - 3 * HOUR, [900, 5, 700])
  const forecast = hourly(T0, [300, 250, 400])

  it("describe the forecast ahead: its current record's start, its lowest and highest, never the past", () => {
    const contents = renderExporter({ zone: "DE", slots: [...past, ...forecast], now: T0 + 90 * MINUTE, message: "" })
    assert.deepStrictEqual(contents.data, {
      lastHeartbeatTime: "2024-03-06 11:30:00 +0000 UTC",
      message: "",
      // The length of binaryData's array, past included, as the exporter counts its array.
      numOfRecords: "6",
      forecastDateTime: "2024-03-06 11:00:00 +0000 UTC",
      minForecast: "250.000000",
      maxForecast: "400.000000"
    })
    // The past stays in the records for the operator's look back.
    const records = unmarshalCarbonForecasts(Buffer.from(contents.binaryData[RECORDS_KEY] ?? "", "base64"))
    assert.deepStrictEqual(records.map((r) => r.value), [900, 5, 700, 300, 250, 400])
  })

  it("start at the next record in a gap, and are empty when no record reaches past now", () => {
    // Nothing holds 10:30; the forecast begins at 11:00.
    const later = hourly(T0 + HOUR, [300, 250])
    const gap = renderExporter({ zone: "DE", slots: [...past, ...later], now: T0 + 30 * MINUTE, message: "" })
    assert.deepStrictEqual(
      [gap.data["forecastDateTime"], gap.data["minForecast"], gap.data["maxForecast"]],
      ["2024-03-06 11:00:00 +0000 UTC", "250.000000", "300.000000"]
    )
    const ended = renderExporter({ zone: "DE", slots: past, now: T0 + HOUR, message: "ended" })
    assert.deepStrictEqual(
      [
        ended.data["numOfRecords"],
        ended.data["forecastDateTime"],
        ended.data["minForecast"],
        ended.data["maxForecast"]
      ],
      ["3", "", "", ""]
    )
  })
})

describe("recalling the records a ConfigMap holds", () => {
  const encoded = (records: unknown) => Buffer.from(JSON.stringify(records)).toString("base64")

  it("reads back what was written, in time order", () => {
    const slots = hourly(T0, [1, 2, 3])
    const contents = renderExporter({ zone: "DE", slots, now: T0, message: "" })
    assert.deepStrictEqual(recallSlots(contents.binaryData[RECORDS_KEY], "DE"), Option.some(slots))
  })

  it("takes nothing from another zone's records, a zero, or what is not records at all", () => {
    const record = { location: "DE", timestamp: "2024-03-06T10:00:00Z", duration: 60, value: 5 }
    assert.isTrue(Option.isSome(recallSlots(encoded([record]), "DE")))
    assert.isTrue(Option.isNone(recallSlots(encoded([record]), "FR")))
    assert.isTrue(Option.isNone(recallSlots(encoded([{ ...record, value: 0 }]), "DE")))
    assert.isTrue(Option.isNone(recallSlots(encoded([{ ...record, timestamp: "yesterday" }]), "DE")))
    assert.isTrue(Option.isNone(recallSlots(Buffer.from("not json").toString("base64"), "DE")))
    assert.isTrue(Option.isNone(recallSlots(undefined, "DE")))
  })
})

describe("the operator's decoder, as written from its source", () => {
  const bytes = (text: string) => Buffer.from(text, "utf8")

  it("refuses what Go's encoding/json refuses for an int32 and a time.Time", () => {
    const base = `"location":"DE","timestamp":"2024-03-06T10:00:00Z","value":1`
    assert.strictEqual(unmarshalCarbonForecasts(bytes(`[{${base},"duration":60}]`))[0]?.duration, 60)
    assert.throws(() => unmarshalCarbonForecasts(bytes(`[{${base},"duration":60.0}]`)), /int32/)
    assert.throws(() => unmarshalCarbonForecasts(bytes(`[{${base},"duration":"60"}]`)), /int32/)
    assert.throws(
      () => unmarshalCarbonForecasts(bytes(`[{"timestamp":"2024-03-06 10:00:00 +0000 UTC","duration":60}]`)),
      /RFC 3339/
    )
  })

  it("matches keys ignoring case and leaves a missing field at zero, as Go does", () => {
    const [cf] = unmarshalCarbonForecasts(bytes(`[{"Timestamp":"2024-03-06T10:00:00Z","DURATION":60}]`))
    assert.strictEqual(cf?.timestamp, T0)
    assert.strictEqual(cf?.duration, 60)
    assert.strictEqual(cf?.value, 0)
  })
})
