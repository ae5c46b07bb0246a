/**
 * Error bodies the simulator sends. The recorded ones are copied from
 * `test/fixtures/electricity-maps/` (see its SOURCES.md); the rest are the simulator's own
 * wording, marked as such, because the real API's text for those cases was never recorded.
 */

/** error.missing-header.json (Electricity Maps help centre, "API authentication errors"). */
export const missingHeader = {
  error: "Invalid auth-token",
  message:
    "Please provide a valid authentication header. See https://portal.electricitymaps.com/docs/getting-started#authorization for details"
} as const

/** error.invalid-token.json (same source). */
export const invalidToken = {
  error: "Invalid auth-token",
  message:
    "The provided token is invalid. If this token used to work, please visit https://help.electricitymaps.com to get support"
} as const

/** Shaped like error.zone-not-in-plan.json (electricitymaps-contrib issue 4668), for our endpoints. */
export const zoneNotInPlan = (zone: string, requestType: "latest" | "forecast" = "latest") =>
  ({ error: `Request unauthorized for zoneKey=${zone},requestType=${requestType},dataType=carbon-intensity.` }) as const

/** error.no-recent-data.json (ml-energy/zeus), for any zone. */
export const noRecentData = (zone: string) => ({ error: `No recent data for zone "${zone}"` }) as const

/**
 * error.no-recent-data.invalid-json.txt (ml-energy/zeus): the same message once served with its
 * inner quotes unescaped, so it is not JSON. Byte-identical to the recording for US-MIDW-MISO.
 */
export const noRecentDataInvalidJson = (zone: string): string => `{"error":"No recent data for zone "${zone}""}`

/** A proxy in front of the API failing; the shape nginx and most CDNs use. */
export const proxyBadGatewayHtml = "<html><body><h1>502 Bad Gateway</h1></body></html>"

// The simulator's own wording below.

/** Users report the real API answers a rate limit with 401; its exact text is not recorded. */
export const rateLimitExceeded = { error: "Rate limit exceeded" } as const

export const tooManyRequests = { error: "Too many requests" } as const

export const unknownZone = (zone: string) => ({ error: `Zone '${zone}' does not exist` }) as const

export const serverError = (status: number) => ({ error: `Internal server error (${status})` }) as const

export const badRequest = (message: string) => ({ error: message }) as const

export const notFound = { error: "Not found" } as const

/**
 * A 500 whose message would repaint or rewrite a terminal if logged raw: colour codes, a carriage
 * return that overwrites the line, a bell.
 */
export const ansiServerError = {
  error: "Internal server error",
  message: "\u001b[31mupstream failure\u001b[0m\rOK: all zones fresh\u0007\u001b[2K"
} as const
