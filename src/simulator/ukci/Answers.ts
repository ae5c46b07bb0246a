/**
 * The simulated UK answers as text: the three body layouts the routes use, every fault that
 * reshapes a 200, and the API's error bodies (`{"error": {"code", "message"}}`, its documented
 * shape).
 */
import { STATUS_CODES } from "node:http"
import type { Fault } from "../Fault.js"
import type { Reply } from "../FaultResponses.js"
import { MINUTE_MS } from "../Intensity.js"
import { apiTime, HALF_HOUR_MS, type ModelPeriod, type RawToken } from "./Model.js"
import type { SimulatedRegion } from "./Regions.js"

/** Faults that keep the normal answer of a UK route but change what it says. */
export type UkciBodyFault = Extract<
  Fault,
  { readonly kind: "empty-200" | "actual-null" | "null-intensity" | "datetime" | "intensity" | "invalid-json" }
>

const BODY_FAULT_KINDS: ReadonlySet<Fault["kind"]> = new Set<UkciBodyFault["kind"]>([
  "empty-200",
  "actual-null",
  "null-intensity",
  "datetime",
  "intensity",
  "invalid-json"
])

export const isUkciBodyFault = (fault: Fault): fault is UkciBodyFault => BODY_FAULT_KINDS.has(fault.kind)

/** Where the periods sit in an answer: a bare list (national), a region in a list or a region alone. */
export type Layout =
  | { readonly _tag: "National" }
  | { readonly _tag: "Region"; readonly id: number; readonly region: SimulatedRegion; readonly inList: boolean }

export interface UkciBody {
  readonly layout: Layout
  readonly periods: ReadonlyArray<ModelPeriod>
}

/** A placeholder no real value contains, swapped for the raw token after stringifying. */
const RAW_SLOT = "\u0000simulator-raw-token\u0000"

const value = (
  v: number | null | RawToken
): number | null | string => (typeof v === "object" && v !== null ? RAW_SLOT : v)

const toWire = (period: ModelPeriod) => ({
  from: apiTime(period.from),
  to: apiTime(period.from + HALF_HOUR_MS),
  intensity: {
    forecast: value(period.forecast),
    ...(period.actual === undefined ? {} : { actual: value(period.actual) }),
    index: period.index
  },
  ...(period.generationmix === undefined ? {} : { generationmix: period.generationmix })
})

const render = (body: UkciBody): string => {
  const periods = body.periods.map(toWire)
  const { layout } = body
  if (layout._tag === "National") return JSON.stringify({ data: periods })
  const region = {
    regionid: layout.id,
    dnoregion: layout.region.dnoregion,
    shortname: layout.region.shortname,
    data: periods
  }
  return JSON.stringify({ data: layout.inList ? [region] : region })
}

const withPeriods = (body: UkciBody, change: (period: ModelPeriod) => ModelPeriod): UkciBody => ({
  ...body,
  periods: body.periods.map(change)
})

/** A value the period has (regional periods have no `actual`) set to `to`. */
const setValues = (period: ModelPeriod, to: number | null | RawToken, fields: "both" | "actual"): ModelPeriod => ({
  ...period,
  ...(fields === "both" ? { forecast: to } : {}),
  ...(period.actual === undefined ? {} : { actual: to })
})

/** The answer under a fault; a fault that is not one of these leaves it as it is. */
export const shapeUkci = (body: UkciBody, fault: UkciBodyFault | undefined): Reply => {
  switch (fault?.kind) {
    case "empty-200":
      return { status: 200, text: "{}" }
    case "actual-null":
      return { status: 200, text: render(withPeriods(body, (p) => setValues(p, null, "actual"))) }
    case "null-intensity":
      return { status: 200, text: render(withPeriods(body, (p) => setValues(p, null, "both"))) }
    case "datetime":
      return {
        status: 200,
        text: render(withPeriods(body, (p) => ({ ...p, from: p.from + fault.offsetMinutes * MINUTE_MS })))
      }
    case "intensity": {
      const index = Math.min(fault.point, body.periods.length - 1)
      const raw = { raw: fault.raw }
      const changed = { ...body, periods: body.periods.map((p, i) => (i === index ? setValues(p, raw, "both") : p)) }
      return { status: 200, text: render(changed).replaceAll(JSON.stringify(RAW_SLOT), () => fault.raw) }
    }
    case "invalid-json":
      // The API's own documented examples miss a comma before a period's `intensity`.
      return { status: fault.status, text: render(body).replace(/,("intensity")/, "$1") }
    default:
      return { status: 200, text: render(body) }
  }
}

const error = (status: number, message: string) => ({
  error: { code: `${status} ${STATUS_CODES[status] ?? "Error"}`, message }
})

/** error.500.requested-resource-not-found.json (the January 2025 outage), under any 5xx status. */
export const serverError = (status: number) => error(status, "Requested resource not found.")

/** The regional routes' answer to `Content-Type: text/html`, as quoted (closing brace restored). */
export const unsupportedMediaType = error(400, "Unsupported Media Type")

/** The simulator's own wording, in the API's documented shape. */
export const badRequest = (message: string) => error(400, message)
