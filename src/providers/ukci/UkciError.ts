/**
 * The UK Carbon Intensity adapter's error, and the one place it becomes the port's `SourceError`.
 */
import { SourceError } from "../../ports/CarbonSource.js"
import { CallError } from "../http/CallFailure.js"
import { NATIONAL } from "./Regions.js"

export class UkciError extends CallError("UkciError", {
  subject: (zone) => zone === NATIONAL ? "UK Carbon Intensity national (GB)" : `UK Carbon Intensity region ${zone}`,
  hints: {
    NoData:
      "the API answered without a value (it does so during outages and past its forecast horizon); tried again next poll",
    ServerError: "the API has had outages lasting days; tried again next poll",
    ZoneNotFound: "use ukci:national or ukci:1 … ukci:17 (see `carbon-poller zones`)",
    BadRequest:
      "the API refused the request; a request with Content-Type: text/html gets this from its regional routes",
    BodyTooLarge: "the answer exceeded MAX_RESPONSE_BYTES",
    Timeout: "no complete answer within REQUEST_TIMEOUT_SECONDS"
  }
}) {}

export const toSourceError = ({ apiMessage, message, reason, status, zone }: UkciError): SourceError =>
  new SourceError({ zone, reason, detail: message, providerMessage: apiMessage, status })
