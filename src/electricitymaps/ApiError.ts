/**
 * The Electricity Maps adapter's error, before it crosses the port as a `SourceError`: which zone, what kind, what the API said, and whether
 * trying again within this poll can help. The log line comes from `message`, so it must be a
 * sentence an operator can act on.
 */
import { Data, Duration, Option } from "effect"

export type ApiFailureReason =
  | "Unauthorized" // 401: bad key, rate limit, or zone outside the plan; never stops the service
  | "Forbidden" // 403
  | "BadRequest" // 400
  | "ZoneNotFound" // 404 without "no recent data"
  | "NoData" // 404 "No recent data", or carbonIntensity null
  | "RateLimited" // 429
  | "ServerError" // 5xx, including a proxy's HTML 502
  | "RequestTimeout" // 408
  | "Timeout" // our own per-request timeout
  | "Transport" // connection refused, reset, DNS
  | "BadResponse" // undecodable body, unexpected status
  | "BodyTooLarge" // over MAX_RESPONSE_BYTES

const TRANSIENT: ReadonlySet<ApiFailureReason> = new Set([
  "RateLimited",
  "ServerError",
  "RequestTimeout",
  "Timeout",
  "Transport"
])

const HINTS: Partial<Record<ApiFailureReason, string>> = {
  Unauthorized: "check the key, the plan's zones and the rate limit; tried again next poll",
  Forbidden: "the key was refused; check ELECTRICITY_MAPS_API_KEY",
  ZoneNotFound: "check the zone key (case-sensitive), e.g. with `carbon-poller zones <word>`",
  NoData: "Electricity Maps has no recent value for this zone; tried again next poll",
  BodyTooLarge: "the answer exceeded MAX_RESPONSE_BYTES",
  Timeout: "no complete answer within REQUEST_TIMEOUT_SECONDS"
}

export const isTransientReason = (reason: ApiFailureReason): boolean => TRANSIENT.has(reason)

export class ApiError extends Data.TaggedError("ApiError")<{
  /** The zone asked for, or undefined for the `/zones` catalogue. */
  readonly zone: string | undefined
  readonly reason: ApiFailureReason
  readonly status?: number | undefined
  /** What the API said, trimmed to one line. */
  readonly apiMessage?: string | undefined
  /** From a `Retry-After` header, already capped. */
  readonly retryAfter?: Duration.Duration | undefined
  readonly cause?: unknown
}> {
  get isTransient(): boolean {
    return TRANSIENT.has(this.reason)
  }

  override get message(): string {
    const subject = this.zone === undefined ? "zones catalogue" : `zone ${this.zone}`
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    const said = this.apiMessage ? `: ${this.apiMessage}` : ""
    const hint = HINTS[this.reason]
    return `${subject}: ${this.reason}${status}${said}${hint ? ` — ${hint}` : ""}`
  }
}

const MAX_MESSAGE_LENGTH = 300

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g

/**
 * `text` at most `max` characters long, with `…` where it was cut. Only for text already redacted:
 * a cut through the key would leave a part of it that redaction can no longer recognise as such.
 */
export const shorten = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text)

/**
 * One line of what the API said: `{error, message}` JSON, an HTML title, or the start of the text.
 * Redacted by `redact` before it is shortened, and free of control characters (it goes into the
 * cache file's `unavailable` and into the log).
 */
export const summarizeErrorBody = (body: string, redact: (text: string) => string): string | undefined => {
  const trimmed = body.trim()
  if (trimmed === "") return undefined
  let summary: string | undefined
  try {
    const parsed: unknown = JSON.parse(trimmed)
    if (typeof parsed === "object" && parsed !== null) {
      const parts = ["error", "message"]
        .map((field) => (field in parsed ? Reflect.get(parsed, field) : undefined))
        .filter((p): p is string => typeof p === "string")
      if (parts.length > 0) summary = parts.join(": ")
    }
  } catch {
    // Not JSON: the API once served its no-data error with unescaped quotes; proxies send HTML.
  }
  if (summary === undefined) {
    const htmlTitle = /<(?:title|h1)[^>]*>([^<]*)</i.exec(trimmed)
    summary = htmlTitle?.[1] ? `HTML page: ${htmlTitle[1]}` : trimmed
  }
  const oneLine = redact(summary).replace(/\s+/g, " ").replace(CONTROL, "?").trim()
  return shorten(oneLine, MAX_MESSAGE_LENGTH)
}

/** The reason for a non-2xx status, with the body's text where the status alone is ambiguous. */
export const reasonForStatus = (status: number, apiMessage: string | undefined): ApiFailureReason => {
  if (status === 400) return "BadRequest"
  if (status === 401) return "Unauthorized"
  if (status === 403) return "Forbidden"
  if (status === 404) return apiMessage !== undefined && /no recent data/i.test(apiMessage) ? "NoData" : "ZoneNotFound"
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
