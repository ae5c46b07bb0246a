/**
 * What any provider adapter knows about a failed call before it crosses the port: which zone,
 * what kind, the HTTP status, what the provider said, and whether trying again within this poll
 * can help. Each adapter wraps these fields in its own error class (its hints name its own
 * variables); the reading of statuses, error bodies and `Retry-After` is the same for all.
 */
import { Data, Duration, Option } from "effect"

export type CallFailureReason =
  | "Unauthorized" // 401
  | "Forbidden" // 403
  | "BadRequest" // 400
  | "ZoneNotFound" // 404
  | "NoData" // the provider answered, but with no value
  | "RateLimited" // 429
  | "ServerError" // 5xx, including a proxy's HTML 502
  | "RequestTimeout" // 408
  | "Timeout" // our own per-request timeout
  | "Transport" // connection refused, reset, DNS
  | "BadResponse" // undecodable body, unexpected status
  | "BodyTooLarge" // over MAX_RESPONSE_BYTES

export interface CallFailureFields {
  /** The zone asked for, or undefined for a catalogue. */
  readonly zone: string | undefined
  readonly reason: CallFailureReason
  readonly status?: number | undefined
  /** What the provider said, trimmed to one line. */
  readonly apiMessage?: string | undefined
  /** From a `Retry-After` header, already capped. */
  readonly retryAfter?: Duration.Duration | undefined
  readonly cause?: unknown
}

/** An adapter's error: the fields, whether to retry, and one line an operator can act on. */
export interface CallFailure extends CallFailureFields {
  readonly isTransient: boolean
  readonly message: string
}

const TRANSIENT: ReadonlySet<CallFailureReason> = new Set([
  "RateLimited",
  "ServerError",
  "RequestTimeout",
  "Timeout",
  "Transport"
])

export const isTransientReason = (reason: CallFailureReason): boolean => TRANSIENT.has(reason)

/** `<subject>: <reason> (HTTP <status>): <what the provider said> — <hint>`. */
export const describeFailure = (subject: string, failure: CallFailureFields, hint: string | undefined): string => {
  const status = failure.status === undefined ? "" : ` (HTTP ${failure.status})`
  const said = failure.apiMessage ? `: ${failure.apiMessage}` : ""
  return `${subject}: ${failure.reason}${status}${said}${hint ? ` — ${hint}` : ""}`
}

/** How an adapter's errors name what failed and what an operator can do about each reason. */
export interface CallErrorWording {
  /** `zone 13`, `zones catalogue`, ...: what the call was about. */
  readonly subject: (zone: string | undefined) => string
  readonly hints: Partial<Record<CallFailureReason, string>>
}

/**
 * The base of an adapter's error class: `class ApiError extends CallError("ApiError", wording) {}`.
 * Each adapter gets its own tag and wording; transience and the message are the same for all.
 */
export const CallError = <Tag extends string>(tag: Tag, wording: CallErrorWording) =>
  class extends Data.TaggedError(tag)<CallFailureFields> implements CallFailure {
    get isTransient(): boolean {
      return isTransientReason(this.reason)
    }

    override get message(): string {
      return describeFailure(wording.subject(this.zone), this, wording.hints[this.reason])
    }
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
export const reasonForStatus = (status: number): CallFailureReason => {
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
