/**
 * The Electricity Maps adapter's error, before it crosses the port as a `SourceError`: which zone, what kind, what the API said, and whether
 * trying again within this poll can help. The log line comes from `message`, so it must be a
 * sentence an operator can act on.
 */
import { CallError, type CallFailureReason, reasonForStatus as reasonByHttp } from "../http/CallFailure.js"

export { isTransientReason, parseRetryAfter, summarizeErrorBody } from "../http/CallFailure.js"

/**
 * 401 is a bad key, a rate limit or a zone outside the plan (never stops the service); 404 is
 * "No recent data" (`NoData`, also `carbonIntensity: null`) or an unknown zone.
 */
export type ApiFailureReason = CallFailureReason

const HINTS: Partial<Record<ApiFailureReason, string>> = {
  Unauthorized: "check the key, the plan's zones and the rate limit; tried again next poll",
  Forbidden: "the key was refused; check ELECTRICITY_MAPS_API_KEY",
  ZoneNotFound: "check the zone key (case-sensitive), e.g. with `carbon-poller zones <word>`",
  NoData: "Electricity Maps has no recent value for this zone; tried again next poll",
  BodyTooLarge: "the answer exceeded MAX_RESPONSE_BYTES",
  Timeout: "no complete answer within REQUEST_TIMEOUT_SECONDS"
}

export class ApiError extends CallError("ApiError", {
  subject: (zone) => zone === undefined ? "zones catalogue" : `zone ${zone}`,
  hints: HINTS
}) {}

/** The reason for a non-2xx status, with the body's text where the status alone is ambiguous. */
export const reasonForStatus = (status: number, apiMessage: string | undefined): ApiFailureReason =>
  status === 404 && apiMessage !== undefined && /no recent data/i.test(apiMessage) ? "NoData" : reasonByHttp(status)
