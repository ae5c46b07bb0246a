/**
 * The UK Carbon Intensity adapter's failures, built as the port's `SourceError` with the line an
 * operator reads. Whether the request is made again (next poll, or never in `--once`) is for the
 * caller to say.
 */
import { SourceError, type SourceFailureReason } from "../../ports/CarbonSource.js"
import { type CallFailureFields, describeFailure } from "../http/ProviderCalls.js"
import { NATIONAL } from "./Regions.js"

const HINTS: Partial<Record<SourceFailureReason, string>> = {
  NoData: "the API answered without a value (it does so during outages and past its forecast horizon)",
  ServerError: "the API has had outages lasting days",
  ZoneNotFound: "use ukci:national or ukci:1 … ukci:17 (see `carbon-poller zones`)",
  BadRequest: "the API refused the request; a request with Content-Type: text/html gets this from its regional routes",
  BodyTooLarge: "the answer exceeded MAX_RESPONSE_BYTES",
  Timeout: "no complete answer within REQUEST_TIMEOUT_SECONDS"
}

const subject = (zone: string | undefined): string =>
  zone === NATIONAL ? "UK Carbon Intensity national (GB)" : `UK Carbon Intensity region ${zone}`

/** A failure of this adapter as the port's error, with the sentence an operator can act on. */
export const ukciFailure = (failure: CallFailureFields): SourceError =>
  new SourceError({ ...failure, detail: describeFailure(subject(failure.zone), failure, HINTS[failure.reason]) })
