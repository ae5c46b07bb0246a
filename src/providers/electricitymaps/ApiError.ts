/**
 * The Electricity Maps adapter's error, before it crosses the port as a `SourceError`: which zone, what kind, what the API said, and whether
 * trying again within this poll can help. The log line comes from `message`, so it must be a
 * sentence an operator can act on.
 */
import { Data, type Duration } from "effect"
import { isTransientReason } from "../http/RetryPolicy.js"

export { isTransientReason } from "../http/RetryPolicy.js"

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

const HINTS: Partial<Record<ApiFailureReason, string>> = {
  Unauthorized: "check the key, the plan's zones and the rate limit; tried again next poll",
  Forbidden: "the key was refused; check ELECTRICITY_MAPS_API_KEY",
  ZoneNotFound: "check the zone key (case-sensitive), e.g. with `carbon-poller zones <word>`",
  NoData: "Electricity Maps has no recent value for this zone; tried again next poll",
  BodyTooLarge: "the answer exceeded MAX_RESPONSE_BYTES",
  Timeout: "no complete answer within REQUEST_TIMEOUT_SECONDS"
}

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
    return isTransientReason(this.reason)
  }

  override get message(): string {
    const subject = this.zone === undefined ? "zones catalogue" : `zone ${this.zone}`
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    const said = this.apiMessage ? `: ${this.apiMessage}` : ""
    const hint = HINTS[this.reason]
    return `${subject}: ${this.reason}${status}${said}${hint ? ` — ${hint}` : ""}`
  }
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
