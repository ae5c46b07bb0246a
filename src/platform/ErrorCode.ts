/**
 * The errno-style code of a failure (`ENOTFOUND`, `EACCES`, `CERT_HAS_EXPIRED`, ...), looked up
 * along the cause chain: the platform wraps Node's error once or twice, and the code is what tells
 * a missing host from a refused connection or a privileged port.
 */

const MAX_CAUSE_DEPTH = 5

const hasCode = (u: unknown): u is { readonly code: string } =>
  typeof u === "object" && u !== null && "code" in u && typeof u.code === "string"

const causeOf = (u: unknown): unknown => (typeof u === "object" && u !== null && "cause" in u ? u.cause : undefined)

/** The first code found along the chain, if any. */
export const errorCode = (cause: unknown): string | undefined => {
  let current = cause
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current !== undefined; depth++) {
    if (hasCode(current)) return current.code
    current = causeOf(current)
  }
  return undefined
}
