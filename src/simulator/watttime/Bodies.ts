/**
 * Bodies the simulator's WattTime routes send. The recorded ones are copied from
 * `test/fixtures/watttime/` (see its SOURCES.md); the rest are the simulator's own wording, marked
 * as such, because WattTime's text for those cases was never recorded.
 */

/**
 * The 403 for a region outside the account's plan: the JSON shape of
 * `error.invalid-scope.older.json` with the message users saw in 2024
 * (`error.invalid-scope.2024.txt`, the doubled `https://https//` as received).
 */
export const invalidScope = {
  error: "Invalid query parameters",
  message:
    "Invalid scope. You do not have sufficient access to this resource. See https://https//watttime.org/docs-dev/data-plans/ for more information or email contact@watttime.org for pricing. Please note that all users are allowed free access to CAISO_NORTH."
} as const

/**
 * `error.403-forbidden.nginx.html`, byte for byte (a test compares them): what `/login` sends for
 * bad credentials.
 */
export const forbiddenHtml =
  "<html>\n  <head>\n    <title>403 Forbidden</title>\n  </head>\n  <body>\n    <center><h1>403 Forbidden</h1></center>\n    <hr />\n    <center>nginx</center>\n  </body>\n</html>\n"

// The simulator's own wording below.

/** A data call without a valid bearer token (missing, unknown, or older than 30 minutes). */
export const tokenRefused = {
  error: "Unauthorized",
  message: "The token is missing, invalid or expired: log in again at /login"
} as const

/** Shaped like WattTime's documented error object (`error.docs-example.json`, with `message`). */
export const invalidQuery = (message: string) => ({ error: "Invalid query parameters", message }) as const
