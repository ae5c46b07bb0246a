/**
 * The ConfigMap layout of the Kubernetes carbon intensity exporter, which Azure's carbon-aware
 * KEDA operator reads: under `binaryData.data` a JSON array of records
 * `{"location","timestamp","duration","value"}` (RFC 3339 UTC, whole minutes, gCO2eq/kWh), and six
 * `data` keys for people and dashboards. Pure: the time comes in as an argument.
 *
 * What the operator does with it shapes three rules here:
 * - it takes as "now" the first record whose `[timestamp, timestamp + duration)` holds the moment,
 *   and waits one record's `duration` before it looks again, so a record never lasts more than an
 *   hour (a daily point would otherwise leave it asleep for a day);
 * - its lowest tier reads `value > 0`, and the exporter's Go `omitempty` leaves out a zero, so a
 *   zero is written as `SMALLEST_VALUE` (a zone that clean still gets the cleanest tier), and no
 *   record has a zero `duration` (it would hold no moment);
 * - it looks back over the last `overrideEcoAfterDurationInMins` minutes, so records of the past
 *   day are kept after the forecast has moved on (`LOOKBACK_MILLIS`).
 */
import { Either, Option, Schema } from "effect"
import { formatCacheTimestamp, formatInstant, parseRfc3339Instant } from "../../domain/Time.js"

/** The `binaryData` key the operator's `localConfigMap.key` names. */
export const RECORDS_KEY = "data"

/** Stands in for a zero value: above the operator's `value > 0`, below any real reading's precision. */
export const SMALLEST_VALUE = 0.001

/** The longest record: the operator looks again after one record's duration. */
export const MAX_RECORD_MINUTES = 60

/** How much of the past is kept, for the operator's look back (`overrideEcoAfterDurationInMins` up to 1440). */
export const LOOKBACK_MILLIS = 24 * 60 * 60_000

const MILLIS_PER_MINUTE = 60_000

/** One record, as numbers: `start` in epoch milliseconds, a whole number of `minutes`, gCO2eq/kWh. */
export interface Slot {
  readonly start: number
  readonly minutes: number
  readonly value: number
}

const endOf = (slot: Slot): number => slot.start + slot.minutes * MILLIS_PER_MINUTE

/** A forecast point as the core holds it: its instant and value; it lasts until `end`. */
export interface Step {
  readonly at: number
  readonly end: number
  readonly value: number
}

/**
 * A step as records of at most `MAX_RECORD_MINUTES` whole minutes. A step that is not a whole
 * number of minutes is rounded up: overlapping the next step by seconds (the operator then takes
 * the earlier record) is better than a gap in which it finds no record at all.
 */
export const slotsOfStep = (step: Step): ReadonlyArray<Slot> => {
  const value = step.value > 0 ? step.value : SMALLEST_VALUE
  const slots: Array<Slot> = []
  let remaining = Math.max(1, Math.ceil((step.end - step.at) / MILLIS_PER_MINUTE))
  let start = step.at
  while (remaining > 0) {
    const minutes = Math.min(MAX_RECORD_MINUTES, remaining)
    slots.push({ start, minutes, value })
    start += minutes * MILLIS_PER_MINUTE
    remaining -= minutes
  }
  return slots
}

/**
 * The records to publish: the kept past (records that end within the look-back and begin before
 * the new forecast, cut short where the forecast takes over) followed by the new forecast. What
 * was published for a moment the new forecast covers is replaced, never averaged or merged.
 */
export const mergeSlots = (
  kept: ReadonlyArray<Slot>,
  fresh: ReadonlyArray<Slot>,
  now: number
): ReadonlyArray<Slot> => {
  const oldest = now - LOOKBACK_MILLIS
  const freshStart = fresh[0]?.start ?? Number.POSITIVE_INFINITY
  const past = kept.flatMap((slot): ReadonlyArray<Slot> => {
    if (endOf(slot) <= oldest || slot.start >= freshStart) return []
    if (endOf(slot) <= freshStart) return [slot]
    const minutes = Math.floor((freshStart - slot.start) / MILLIS_PER_MINUTE)
    return minutes >= 1 ? [{ ...slot, minutes }] : []
  })
  return [...past, ...fresh.filter((slot) => endOf(slot) > oldest)]
}

/** The record whose `[timestamp, timestamp + duration)` holds `moment`, first in order, as the operator picks it. */
export const slotAt = (slots: ReadonlyArray<Slot>, moment: number): Slot | undefined =>
  slots.find((slot) => slot.start <= moment && moment < endOf(slot))

/**
 * The current record and those after it: from the first that ends after `moment` (in time order,
 * the one `slotAt` picks when one holds `moment`). The past records before it are for the look
 * back, not the forecast.
 */
const aheadOf = (slots: ReadonlyArray<Slot>, moment: number): ReadonlyArray<Slot> => {
  const current = slots.findIndex((slot) => endOf(slot) > moment)
  return current === -1 ? [] : slots.slice(current)
}

/**
 * Go's `time.Time.String()` for a UTC time (`2023-03-31 00:00:00 +0000 UTC`, a fraction only when
 * there is one), the layout the exporter writes its two times in. The exporter's heartbeat also
 * carries Go's monotonic reading (`m=+10.86`), a process-internal counter, which is left out.
 */
export const goTimeString = (epochMillis: number): string => {
  const [date, time] = formatCacheTimestamp(epochMillis).split("T")
  const millis = ((epochMillis % 1000) + 1000) % 1000
  const fraction = millis === 0 ? "" : `.${String(millis).padStart(3, "0").replace(/0+$/, "")}`
  return `${date} ${time}${fraction} +0000 UTC`
}

/** Go's `fmt.Sprintf("%f", v)`: six decimals. */
const goFloat = (value: number): string => value.toFixed(6)

export interface ExporterContents {
  readonly data: Readonly<Record<string, string>>
  /** Base64, as the API carries `binaryData`. */
  readonly binaryData: Readonly<Record<string, string>>
}

/**
 * The ConfigMap's `data` and `binaryData`. `numOfRecords` counts every record in `binaryData`, as
 * the exporter's does (the length of the array it writes). `forecastDateTime`, `minForecast` and
 * `maxForecast` describe the forecast ahead, as the exporter's do (its forecast's start, the lowest
 * and highest of its points): they are taken from the record that holds `now` (or, in a gap, the
 * next one) onwards, so the kept past, up to a day old, moves none of them; all three are empty
 * when no record reaches past `now`. `message` is empty unless the records are not the latest
 * forecast.
 */
export const renderExporter = (input: {
  readonly zone: string
  readonly slots: ReadonlyArray<Slot>
  readonly now: number
  readonly message: string
}): ExporterContents => {
  const records = input.slots.map((slot) => ({
    location: input.zone,
    timestamp: formatInstant(slot.start),
    duration: slot.minutes,
    value: slot.value
  }))
  const ahead = aheadOf(input.slots, input.now)
  const values = ahead.map((slot) => slot.value)
  const first = ahead[0]
  return {
    data: {
      lastHeartbeatTime: goTimeString(input.now),
      message: input.message,
      numOfRecords: String(records.length),
      forecastDateTime: first === undefined ? "" : goTimeString(first.start),
      minForecast: values.length === 0 ? "" : goFloat(Math.min(...values)),
      maxForecast: values.length === 0 ? "" : goFloat(Math.max(...values))
    },
    binaryData: { [RECORDS_KEY]: Buffer.from(JSON.stringify(records), "utf8").toString("base64") }
  }
}

const Record = Schema.Struct({
  location: Schema.String,
  timestamp: Schema.String,
  duration: Schema.Int.pipe(Schema.positive()),
  value: Schema.Number.pipe(Schema.positive())
})
const decodeRecords = Schema.decodeUnknownEither(Schema.parseJson(Schema.Array(Record)))

/**
 * The records a ConfigMap holds for `zone`, to carry the past over a restart or a failover; None
 * when it holds none, or anything this service would not have written (another zone's records, a
 * zero, an unparseable time): then the past starts empty rather than from someone else's numbers.
 */
export const recallSlots = (base64: string | undefined, zone: string): Option.Option<ReadonlyArray<Slot>> => {
  if (base64 === undefined) return Option.none()
  const decoded = decodeRecords(Buffer.from(base64, "base64").toString("utf8"))
  if (Either.isLeft(decoded)) return Option.none()
  const slots: Array<Slot> = []
  for (const record of decoded.right) {
    const start = parseRfc3339Instant(record.timestamp)
    if (start === undefined || record.location !== zone) return Option.none()
    slots.push({ start, minutes: record.duration, value: record.value })
  }
  return Option.some(slots.sort((a, b) => a.start - b.start))
}
