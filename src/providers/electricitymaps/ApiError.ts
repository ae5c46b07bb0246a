/**
 * The Electricity Maps adapter's failures, built as the port's `SourceError`: which zone, what
 * kind, what the API said, and the one line an operator reads (with this provider's hint), plus
 * whether trying again within this poll can help.
 */
import { hasVersionSegment } from "../../config/ApiConfig.js"
import { SourceError, type SourceFailureReason } from "../../ports/CarbonSource.js"
import { type CallFailureFields, describeFailure, reasonForStatus as reasonByHttp } from "../http/CallFailure.js"

export { isTransient, isTransientReason, parseRetryAfter, summarizeErrorBody } from "../http/CallFailure.js"

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

/** A failed call (`zone` undefined: the `/zones` catalogue), its message redacted. */
export interface ApiFailure extends CallFailureFields {
  /** The base URL asked (`ELECTRICITY_MAPS_API_URL`), when the hint depends on it. */
  readonly baseUrl?: string | undefined
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
const describe = (failure: ApiFailure): string =>
  describeFailure(failure.zone === undefined ? "zones catalogue" : `zone ${failure.zone}`, failure, hintOf(failure))

/** A failure of this adapter as the port's error, with the sentence an operator can act on. */
export const apiFailure = (failure: ApiFailure): SourceError => {
  const { baseUrl: _baseUrl, ...fields } = failure
  return new SourceError({ ...fields, detail: describe(failure) })
}

/** The reason for a non-2xx status: a 404 saying "no recent data" is `NoData`, not an unknown zone. */
export const reasonForStatus = (status: number, apiMessage: string | undefined): SourceFailureReason =>
  status === 404 && apiMessage !== undefined && /no recent data/i.test(apiMessage) ? "NoData" : reasonByHttp(status)
