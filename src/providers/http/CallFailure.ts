/**
 * What any provider adapter knows about a failed call before it becomes the port's `SourceError`:
 * which zone, what kind, the HTTP status, what the provider said, and whether trying again within
 * this poll can help. Each adapter words the error's line itself (its hints name its own
 * variables); the reading of statuses, error bodies and `Retry-After` is the same for all.
 */
import { Duration, Option } from "effect"
import type { FailureReason, SourceError, SourceFailureReason } from "../../ports/CarbonSource.js"

export interface CallFailureFields {
  /** The zone asked for, or undefined for a catalogue. */
  readonly zone: string | undefined
  readonly reason: SourceFailureReason
  readonly status?: number | undefined
  /** What the provider said, trimmed to one line (and redacted by the caller). */
  readonly providerMessage?: string | undefined
  /** From a `Retry-After` header, already capped. */
  readonly retryAfter?: Duration.Duration | undefined
  readonly cause?: unknown
}

const TRANSIENT: ReadonlySet<FailureReason> = new Set<SourceFailureReason>([
  "RateLimited", // 429
  "ServerError", // 5xx, including a proxy's HTML 502
  "RequestTimeout", // 408
  "Timeout", // our own per-request timeout
  "Transport" // connection refused, reset, DNS
])

/** True for the failures a retry within the same poll can cure. */
export const isTransientReason = (reason: FailureReason): boolean => TRANSIENT.has(reason)

export const isTransient = (error: SourceError): boolean => isTransientReason(error.reason)

/** `<subject>: <reason> (HTTP <status>): <what the provider said> — <hint>`. */
export const describeFailure = (subject: string, failure: CallFailureFields, hint: string | undefined): string => {
  const status = failure.status === undefined ? "" : ` (HTTP ${failure.status})`
  const said = failure.providerMessage ? `: ${failure.providerMessage}` : ""
  return `${subject}: ${failure.reason}${status}${said}${hint ? ` — ${hint}` : ""}`
}

const MAX_MESSAGE_LENGTH = 300

const stringField = (object: object, field: string): string | undefined => {
  const value = field in object ? Reflect.get(object, field) : undefined
  return typeof value === "string" ? value : undefined
}

/**
 * The texts of a JSON error body: `{"error": "...", "message": "..."}` (Electricity Maps) or
 * `{"error": {"code": "...", "message": "..."}}` (the UK Carbon Intensity API).
 */
const jsonErrorParts = (parsed: object): ReadonlyArray<string> => {
  const nested: unknown = "error" in parsed ? Reflect.get(parsed, "error") : undefined
  const source = typeof nested === "object" && nested !== null ? nested : parsed
  const fields = source === parsed ? ["error", "message"] : ["code", "message"]
  return fields.map((field) => stringField(source, field)).filter((part): part is string => part !== undefined)
}

/** One line of what the provider said: a JSON error body, an HTML title, or the start of the text. */
export const summarizeErrorBody = (body: string): string | undefined => {
  const trimmed = body.trim()
  if (trimmed === "") return undefined
  let summary: string | undefined
  try {
    const parsed: unknown = JSON.parse(trimmed)
    if (typeof parsed === "object" && parsed !== null) {
      const parts = jsonErrorParts(parsed)
      if (parts.length > 0) summary = parts.join(": ")
    }
  } catch {
    // Not JSON: APIs have served error bodies with unescaped quotes; proxies send HTML.
  }
  if (summary === undefined) {
    const htmlTitle = /<(?:title|h1)[^>]*>([^<]*)</i.exec(trimmed)
    summary = htmlTitle?.[1] ? `HTML page: ${htmlTitle[1]}` : trimmed
  }
  const oneLine = summary.replace(/\s+/g, " ").trim()
  return oneLine.length > MAX_MESSAGE_LENGTH ? `${oneLine.slice(0, MAX_MESSAGE_LENGTH)}…` : oneLine
}

/** The reason for a non-2xx status, by HTTP semantics alone. */
export const reasonForStatus = (status: number): SourceFailureReason => {
  if (status === 400) return "BadRequest"
  if (status === 401) return "Unauthorized"
  if (status === 403) return "Forbidden"
  if (status === 404) return "ZoneNotFound"
  if (status === 408) return "RequestTimeout"
  if (status === 429) return "RateLimited"
  if (status >= 500 && status <= 599) return "ServerError"
  return "BadResponse"
}

/**
 * `Retry-After` as seconds or as an HTTP date (relative to `now`), capped; none when absent,
 * unparsable or in the past.
 */
export const parseRetryAfter = (
  header: string | undefined,
  now: number,
  cap: Duration.Duration
): Option.Option<Duration.Duration> => {
  if (header === undefined) return Option.none()
  const value = header.trim()
  let millis: number
  if (/^\d+$/.test(value)) {
    millis = Number(value) * 1000
  } else {
    const date = Date.parse(value)
    if (Number.isNaN(date)) return Option.none()
    millis = date - now
  }
  if (millis <= 0) return Option.none()
  return Option.some(Duration.min(Duration.millis(millis), cap))
}
