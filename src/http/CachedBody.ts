/**
 * Answering with a body that stays the same until the next cache write: an `ETag`, `304 Not
 * Modified` for a client that already holds it, and `Cache-Control: max-age` up to the cache's own
 * expiry, so a consumer polling often costs a header exchange, not a body.
 */
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { createHash } from "node:crypto"

export const etagOf = (contents: string) => `"${createHash("sha256").update(contents).digest("hex").slice(0, 32)}"`

/** `If-None-Match` compares weakly (RFC 9110 13.1.2): a list of tags, `W/` ignored, or `*`. */
export const matchesIfNoneMatch = (header: string | undefined, etag: string): boolean =>
  header !== undefined &&
  header.split(",").some((candidate) => {
    const tag = candidate.trim()
    return tag === "*" || tag.replace(/^W\//, "") === etag
  })

export interface CachedBody {
  readonly contents: string
  readonly etag: string
  /** Epoch milliseconds after which the body must not be kept. */
  readonly expiresAt: number
}

/** The body as JSON, or 304 when the request names its tag. Consumers may keep it until `expiresAt`. */
export const respond = (
  request: HttpServerRequest.HttpServerRequest,
  body: CachedBody,
  now: number
): HttpServerResponse.HttpServerResponse => {
  // A validity that is no time (a hand-edited TTL) allows no keeping at all.
  const secondsLeft = Math.floor((body.expiresAt - now) / 1000)
  const headers = {
    etag: body.etag,
    "cache-control": `max-age=${Number.isFinite(secondsLeft) ? Math.max(0, secondsLeft) : 0}`
  }
  return matchesIfNoneMatch(request.headers["if-none-match"], body.etag)
    ? HttpServerResponse.empty({ status: 304, headers })
    : HttpServerResponse.text(body.contents, { contentType: "application/json", headers })
}
