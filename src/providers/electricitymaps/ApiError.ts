/**
 * The Electricity Maps adapter's failures, built as the port's `SourceError`: which zone, what
 * kind, what the API said, and the one line an operator reads (with this provider's hint), plus
 * whether trying again within this poll can help.
 */
import { Duration, Option } from "effect"
import { hasVersionSegment } from "../../config/ApiConfig.js"
import { type FailureReason, SourceError, type SourceFailureReason } from "../../ports/CarbonSource.js"

const TRANSIENT: ReadonlySet<FailureReason> = new Set<SourceFailureReason>([
  "RateLimited", // 429
  "ServerError", // 5xx, including a proxy's HTML 502
  "RequestTimeout", // 408
  "Timeout", // our own per-request timeout
  "Transport" // connection refused, reset, DNS
])

/**
 * What to do about each reason. Whether the request is made again (next poll, or never in
 * `--once`) is for the caller to say: the same error ends a one-shot run.
 */
const HINTS: Partial<Record<SourceFailureReason, string>> = {
  Unauthorized: "check the key, the plan's zones and the rate limit",
  Forbidden: "the key was refused; check ELECTRICITY_MAPS_API_KEY",
  ZoneNotFound: "check the zone key (case-sensitive), e.g. with `carbon-poller zones <word>`",
  NoData: "Electricity Maps has no recent value for this zone",
  BodyTooLarge: "the answer exceeded MAX_RESPONSE_BYTES",
  Timeout: "no complete answer within REQUEST_TIMEOUT_SECONDS"
}

/** True for the failures a retry within the same poll can cure. */
export const isTransientReason = (reason: FailureReason): boolean => TRANSIENT.has(reason)

export const isTransient = (error: SourceError): boolean => isTransientReason(error.reason)

export interface ApiFailure {
  /** The zone asked for, or undefined for the `/zones` catalogue. */
  readonly zone: string | undefined
  readonly reason: SourceFailureReason
  readonly status?: number | undefined
  /** What the API said, trimmed to one line and redacted. */
  readonly providerMessage?: string | undefined
  /** From a `Retry-After` header, already capped. */
  readonly retryAfter?: Duration.Duration | undefined
  /** The base URL asked (`ELECTRICITY_MAPS_API_URL`), when the hint depends on it. */
  readonly baseUrl?: string | undefined
  readonly cause?: unknown
}

const hintOf = (failure: ApiFailure): string | undefined => {
  const base = failure.baseUrl
  if (base !== undefined && failure.reason === "ZoneNotFound") {
    // Without a version every route is missing, so every zone (and the catalogue) is "not found":
    // the zone key is not what to check.
    if (!hasVersionSegment(base)) {
      return `check ELECTRICITY_MAPS_API_URL ends in /v4 (it is ${base}): without the version every zone is "not found"`
    }
    if (failure.zone === undefined) {
      return `the API has no zone catalogue at ${base}/zones; check ELECTRICITY_MAPS_API_URL`
    }
  }
  if (base !== undefined && failure.reason === "Transport") {
    return `the API at ${base} could not be reached: check the network (DNS, proxy, firewall) and ELECTRICITY_MAPS_API_URL`
  }
  return HINTS[failure.reason]
}

/** The log line: the zone, the reason, the status, what the API said and what to do about it. */
const describe = (failure: ApiFailure): string => {
  const subject = failure.zone === undefined ? "zones catalogue" : `zone ${failure.zone}`
  const status = failure.status === undefined ? "" : ` (HTTP ${failure.status})`
  const said = failure.providerMessage ? `: ${failure.providerMessage}` : ""
  const hint = hintOf(failure)
  return `${subject}: ${failure.reason}${status}${said}${hint ? ` — ${hint}` : ""}`
}

/** A failure of this adapter as the port's error, with the sentence an operator can act on. */
export const apiFailure = (failure: ApiFailure): SourceError => {
  const { baseUrl: _baseUrl, ...fields } = failure
  return new SourceError({ ...fields, detail: describe(failure) })
}

const MAX_MESSAGE_LENGTH = 300

/** One line of what the API said: `{error, message}` JSON, an HTML title, or the start of the text. */
export const summarizeErrorBody = (body: string): string | undefined => {
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
  const oneLine = summary.replace(/\s+/g, " ").trim()
  return oneLine.length > MAX_MESSAGE_LENGTH ? `${oneLine.slice(0, MAX_MESSAGE_LENGTH)}…` : oneLine
}

/** The reason for a non-2xx status, with the body's text where the status alone is ambiguous. */
export const reasonForStatus = (status: number, apiMessage: string | undefined): SourceFailureReason => {
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
