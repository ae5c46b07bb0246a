/**
 * The Electricity Maps adapter's failures, built as the port's `SourceError`: which zone, what
 * kind, what the API said, and the one line an operator reads (with this provider's hint), plus
 * whether trying again within this poll can help.
 */
import type { Duration } from "effect"
import { hasVersionSegment } from "../../config/ApiConfig.js"
import { SourceError, type SourceFailureReason } from "../../ports/CarbonSource.js"
import { describeFailure, reasonForStatus as byStatus } from "../http/ProviderCalls.js"

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

/** A failure of this adapter as the port's error, with the sentence an operator can act on. */
export const apiFailure = (failure: ApiFailure): SourceError => {
  const { baseUrl: _baseUrl, ...fields } = failure
  const subject = failure.zone === undefined ? "zones catalogue" : `zone ${failure.zone}`
  return new SourceError({ ...fields, detail: describeFailure(subject, failure, hintOf(failure)) })
}

/** The reason for a non-2xx status; this API's 404 means "no data" when its body says so. */
export const reasonForStatus = (status: number, apiMessage: string | undefined): SourceFailureReason =>
  status === 404 && apiMessage !== undefined && /no recent data/i.test(apiMessage) ? "NoData" : byStatus(status)
