/**
 * Faults that keep the normal 200 answer but change what it says: data a client must not present
 * as fresh (another zone, a stale or future or unparsable time, an impossible intensity, the wrong
 * factor type), a key echoed back in escaped forms, a thinned-out zone catalogue.
 *
 * Each function takes the normal body and returns its JSON text, so a fault can write a token
 * `JSON.stringify` never would. Answers other than 200 are never reshaped (see the routes).
 */
import type { Fault } from "./Fault.js"
import type { ForecastBody, ForecastPoint } from "./Forecast.js"
import { type LatestBody, MINUTE_MS } from "./Intensity.js"

export type BodyFault = Extract<
  Fault,
  {
    readonly kind:
      | "null-intensity"
      | "wrong-zone"
      | "datetime"
      | "bad-datetime"
      | "intensity"
      | "emission-factor"
      | "echo-key"
      | "catalogue-empty"
      | "catalogue-missing"
      | "empty-200"
      | "actual-null"
  }
>

const BODY_FAULT_KINDS: ReadonlySet<Fault["kind"]> = new Set<BodyFault["kind"]>([
  "null-intensity",
  "wrong-zone",
  "datetime",
  "bad-datetime",
  "intensity",
  "emission-factor",
  "echo-key",
  "catalogue-empty",
  "catalogue-missing",
  "empty-200",
  // The UK API's alone: never armed for these routes (see `routesOfKind`), so never shapes them.
  "actual-null"
])

export const isBodyFault = (fault: Fault): fault is BodyFault => BODY_FAULT_KINDS.has(fault.kind)

/**
 * A placeholder no real value contains; its JSON form is swapped for the raw token after
 * stringifying. A replacer function, so `$` in the token is taken literally.
 */
const RAW_SLOT = "\u0000simulator-raw-token\u0000"
const withRawToken = (body: unknown, raw: string): string =>
  JSON.stringify(body).replace(JSON.stringify(RAW_SLOT), () => raw)

const hex4 = (code: number): string => code.toString(16).padStart(4, "0")

/** The key as a JSON string token, in the escape style the fault asks for. */
export const escapedKey = (key: string, escape: "none" | "unicode" | "slash" | "mixed"): string => {
  switch (escape) {
    case "none":
      return JSON.stringify(key)
    case "unicode":
      return `"${Array.from({ length: key.length }, (_, i) => `\\u${hex4(key.charCodeAt(i))}`).join("")}"`
    case "slash":
      return JSON.stringify(key).replaceAll("/", "\\/")
    case "mixed":
      // Every other character as `\uXXXX`, alternating the hex digits' case; the rest as JSON writes them.
      return `"${
        [...key].map((char, i) =>
          i % 2 === 0
            ? `\\u${i % 4 === 0 ? hex4(char.charCodeAt(0)) : hex4(char.charCodeAt(0)).toUpperCase()}`
            : JSON.stringify(char).slice(1, -1)
        ).join("")
      }"`
  }
}

const shiftIso = (iso: string, minutes: number): string => new Date(Date.parse(iso) + minutes * MINUTE_MS).toISOString()

/**
 * The latest body under a fault. `wrong-zone` is already in `body` (the route computed that
 * zone's values); `key` is the request's `auth-token`, for `echo-key`.
 */
export const shapeLatest = (body: LatestBody, fault: BodyFault | undefined, key: string): string => {
  switch (fault?.kind) {
    case "empty-200":
      return "{}"
    case "null-intensity":
      return JSON.stringify({ ...body, carbonIntensity: null })
    case "datetime":
      // The whole reading moves, so it stays self-consistent: only its age gives it away.
      return JSON.stringify({
        ...body,
        datetime: shiftIso(body.datetime, fault.offsetMinutes),
        updatedAt: shiftIso(body.updatedAt, fault.offsetMinutes),
        createdAt: shiftIso(body.createdAt, fault.offsetMinutes)
      })
    case "bad-datetime":
      return JSON.stringify({ ...body, datetime: fault.value })
    case "intensity":
      return withRawToken({ ...body, carbonIntensity: RAW_SLOT }, fault.raw)
    case "emission-factor":
      return JSON.stringify({ ...body, emissionFactorType: fault.value })
    case "echo-key":
      return withRawToken({ ...body, estimationMethod: RAW_SLOT }, escapedKey(key, fault.escape))
    default:
      return JSON.stringify(body)
  }
}

/** Index of the point a one-point fault changes: `point`, or the last one if the forecast is shorter. */
const pointIndex = (forecast: ReadonlyArray<ForecastPoint>, point: number): number =>
  Math.min(point, forecast.length - 1)

const withPoint = (
  body: ForecastBody,
  point: number,
  change: (p: ForecastPoint) => Record<string, unknown>
): Record<string, unknown> => {
  const index = pointIndex(body.forecast, point)
  return { ...body, forecast: body.forecast.map((p, i) => (i === index ? change(p) : p)) }
}

/** The forecast body under a fault; one-point faults change the point their `point` names. */
export const shapeForecast = (body: ForecastBody, fault: BodyFault | undefined): string => {
  switch (fault?.kind) {
    case "empty-200":
      return "{}"
    case "null-intensity":
      return JSON.stringify({ ...body, forecast: body.forecast.map((p) => ({ ...p, carbonIntensity: null })) })
    case "datetime":
      return JSON.stringify({
        ...body,
        forecast: body.forecast.map((p) => ({ ...p, datetime: shiftIso(p.datetime, fault.offsetMinutes) })),
        updatedAt: shiftIso(body.updatedAt, fault.offsetMinutes)
      })
    case "bad-datetime":
      return JSON.stringify(withPoint(body, fault.point, (p) => ({ ...p, datetime: fault.value })))
    case "intensity":
      return withRawToken(withPoint(body, fault.point, (p) => ({ ...p, carbonIntensity: RAW_SLOT })), fault.raw)
    default:
      return JSON.stringify(body)
  }
}

/** The zones body under a catalogue fault. */
export const shapeZones = (body: Readonly<Record<string, unknown>>, fault: BodyFault | undefined): string => {
  switch (fault?.kind) {
    case "catalogue-empty":
    case "empty-200":
      return "{}"
    case "catalogue-missing": {
      const missing = new Set(fault.zones)
      return JSON.stringify(Object.fromEntries(Object.entries(body).filter(([key]) => !missing.has(key))))
    }
    default:
      return JSON.stringify(body)
  }
}
