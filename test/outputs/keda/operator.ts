/**
 * Azure's carbon-aware KEDA operator (github.com/Azure/carbon-aware-keda-operator), as far as it
 * reads the forecast ConfigMap: written from its published Go source, not from our own writer.
 *
 * What it does, as read there:
 * - It gets the ConfigMap named by the CarbonAwareKedaScaler's
 *   `spec.carbonIntensityForecastDataSource.localConfigMap` (`name`, `namespace`, `key`; the sample
 *   says `carbon-intensity`, `kube-system`, `data`) and unmarshals `binaryData[key]` with Go's
 *   `encoding/json` into a slice of `CarbonForecast`, whose fields are
 *   `Location string "location"`, `Timestamp time.Time "timestamp"`, `Duration int32 "duration"`,
 *   `Value float64 "value"`, each `omitempty`. Go matches keys case-insensitively (an exact match
 *   first), ignores unknown keys, leaves a missing or null field at its zero value, refuses a
 *   wrongly typed one (a string `duration`, a `duration` of `5.0` or beyond int32), and reads a
 *   `time.Time` as an RFC 3339 string. Any error, or no ConfigMap, turns eco mode off.
 * - The record for a moment is the first, in array order, whose `timestamp <= t <
 *   timestamp + duration minutes`; none for now also turns eco mode off. It reconciles again after
 *   that record's `duration`, rounded to the clock (a 60-minute record: at the next full hour).
 * - Tiers: thresholds sorted ascending; a value in `(previous, threshold]` gets that tier, the
 *   first tier's lower bound being 0 exclusive; anything else (0 included) gets the last tier.
 * - Eco mode off by intensity: for each of the last `overrideEcoAfterDurationInMins` minutes
 *   (counting back from now) it looks up the record for that minute; only when every minute has a
 *   record at or above the threshold does it turn eco mode off. A minute without a record never
 *   counts, so records of the recent past must be there for the feature to work.
 *
 * The Kubernetes carbon intensity exporter (github.com/Azure/kubernetes-carbon-intensity-exporter)
 * writes that ConfigMap: `binaryData.data` the JSON array of its SDK's `EmissionsDataDto` (the same
 * four fields and tags; timestamps like `2023-03-31T00:00:00Z`, 5-minute or hourly durations, 288
 * records for a day of 5-minute points), six `data` keys `lastHeartbeatTime` and `forecastDateTime`
 * (Go's `time.Time.String()`, e.g. `2023-03-31 00:00:00 +0000 UTC`; the heartbeat with a monotonic
 * `m=+…` suffix), `message` (empty, or why the data is old), `numOfRecords` (decimal),
 * `minForecast`/`maxForecast` (`%f`, six decimals; the operator's README spells them `minForcast`,
 * the exporter's code does not, and the operator reads neither); `immutable: true`, in `kube-system`, refreshed
 * by deleting and creating it again every 12 hours, under a ClusterRoleBinding to `cluster-admin`.
 */

/** One element of the operator's `[]CarbonForecast`, with `timestamp` as epoch milliseconds. */
export interface CarbonForecast {
  readonly location: string
  readonly timestamp: number
  readonly duration: number
  readonly value: number
}

// A JSON value with number literals kept as written: Go decides by the literal whether an int32 fits.
type Json =
  | { readonly kind: "null" }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "number"; readonly literal: string }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "array"; readonly items: ReadonlyArray<Json> }
  | { readonly kind: "object"; readonly entries: ReadonlyArray<readonly [string, Json]> }

const parseJson = (text: string): Json => {
  let i = 0
  const fail = (what: string): never => {
    throw new Error(`invalid JSON at ${i}: ${what}`)
  }
  const space = () => {
    while (/\s/.test(text[i] ?? "")) i++
  }
  const value = (): Json => {
    space()
    const c = text[i]
    if (c === "{") {
      i++
      const entries: Array<readonly [string, Json]> = []
      space()
      if (text[i] === "}") return i++, { kind: "object", entries }
      for (;;) {
        space()
        const key = value()
        if (key.kind !== "string") return fail("object key")
        space()
        if (text[i++] !== ":") fail("colon")
        entries.push([key.value, value()])
        space()
        const next = text[i++]
        if (next === "}") return { kind: "object", entries }
        if (next !== ",") fail("comma or }")
      }
    }
    if (c === "[") {
      i++
      const items: Array<Json> = []
      space()
      if (text[i] === "]") return i++, { kind: "array", items }
      for (;;) {
        items.push(value())
        space()
        const next = text[i++]
        if (next === "]") return { kind: "array", items }
        if (next !== ",") fail("comma or ]")
      }
    }
    if (c === "\"") {
      // JSON.parse checks the escapes and refuses raw control characters, as Go does.
      const match = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i))
      const parsed: unknown = match === null ? undefined : JSON.parse(match[0])
      if (match === null || typeof parsed !== "string") return fail("string")
      i += match[0].length
      return { kind: "string", value: parsed }
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i))?.[0]
    if (literal === undefined) return fail("value")
    i += literal.length
    if (literal === "null") return { kind: "null" }
    if (literal === "true" || literal === "false") return { kind: "bool", value: literal === "true" }
    return { kind: "number", literal }
  }
  const result = value()
  space()
  if (i !== text.length) fail("trailing text")
  return result
}

/** Go's `time.Parse(time.RFC3339, s)`: date, `T`, time, optional fraction, `Z` or an offset. */
const parseGoRfc3339 = (s: string): number => {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(s)
  const millis = m === null ? Number.NaN : Date.parse(s)
  if (Number.isNaN(millis)) throw new Error(`parsing time ${JSON.stringify(s)} as RFC 3339: cannot parse`)
  return millis
}

const FIELDS = ["location", "timestamp", "duration", "value"] as const
type Field = typeof FIELDS[number]

/** Go's field lookup: the exact tag name, else the first that matches ignoring case. */
const fieldOf = (key: string): Field | undefined =>
  FIELDS.find((f) => f === key) ?? FIELDS.find((f) => f.toLowerCase() === key.toLowerCase())

const typeError = (field: string, got: string, want: string) =>
  new Error(`json: cannot unmarshal ${got} into Go struct field CarbonForecast.${field} of type ${want}`)

const decodeElement = (json: Json): CarbonForecast => {
  const out = { location: "", timestamp: Date.parse("0001-01-01T00:00:00Z"), duration: 0, value: 0 }
  if (json.kind === "null") return out
  if (json.kind !== "object") {
    throw new Error(`json: cannot unmarshal ${json.kind} into Go value of type CarbonForecast`)
  }
  for (const [key, v] of json.entries) {
    const field = fieldOf(key)
    if (field === undefined || v.kind === "null") continue
    switch (field) {
      case "location":
        if (v.kind !== "string") throw typeError(field, v.kind, "string")
        out.location = v.value
        break
      case "timestamp":
        if (v.kind !== "string") throw new Error(`Time.UnmarshalJSON: input is not a JSON string`)
        out.timestamp = parseGoRfc3339(v.value)
        break
      case "duration": {
        const n = v.kind === "number" && /^-?\d+$/.test(v.literal) ? Number(v.literal) : Number.NaN
        if (!Number.isInteger(n) || n < -(2 ** 31) || n > 2 ** 31 - 1) {
          throw typeError(field, v.kind === "number" ? `number ${v.literal}` : v.kind, "int32")
        }
        out.duration = n
        break
      }
      case "value":
        if (v.kind !== "number") throw typeError(field, v.kind, "float64")
        out.value = Number(v.literal)
        break
    }
  }
  return out
}

/** `json.Unmarshal(cm.BinaryData[key], &cf)`: what the operator gets from the bytes, or the error it gets. */
export const unmarshalCarbonForecasts = (bytes: Uint8Array): ReadonlyArray<CarbonForecast> => {
  const json = parseJson(new TextDecoder("utf-8", { fatal: true }).decode(bytes))
  if (json.kind === "null") return []
  if (json.kind !== "array") {
    throw new Error(`json: cannot unmarshal ${json.kind} into Go value of type []CarbonForecast`)
  }
  return json.items.map(decodeElement)
}

/** The operator's `findCarbonForecast`: the first record holding `t`. */
export const findCarbonForecast = (
  forecasts: ReadonlyArray<CarbonForecast>,
  t: number
): CarbonForecast | undefined => forecasts.find((cf) => t >= cf.timestamp && t < cf.timestamp + cf.duration * 60_000)

/** The operator's tier choice for a value: `(previous, threshold]`, from a lower bound of 0 exclusive. */
export const maxReplicasFor = (
  value: number,
  tiers: ReadonlyArray<{ readonly carbonIntensityThreshold: number; readonly maxReplicas: number }>
): number | undefined => {
  const sorted = [...tiers].sort((a, b) => a.carbonIntensityThreshold - b.carbonIntensityThreshold)
  const found = sorted.find((tier, i) =>
    value > (sorted[i - 1]?.carbonIntensityThreshold ?? 0) && value <= tier.carbonIntensityThreshold
  )
  return (found ?? sorted.at(-1))?.maxReplicas
}

/** The operator's look back: every one of the last `minutes` minutes has a record at or above `threshold`. */
export const highForTheLast = (
  forecasts: ReadonlyArray<CarbonForecast>,
  now: number,
  minutes: number,
  threshold: number
): boolean =>
  Array.from({ length: minutes }, (_, i) => findCarbonForecast(forecasts, now - i * 60_000))
    .filter((cf) => cf !== undefined && cf.value >= threshold).length === minutes
