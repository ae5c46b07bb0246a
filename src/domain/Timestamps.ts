/**
 * The cache's time layout. Existing readers (the Go scheduler) parse `2006-01-02T15:04:05`, so the
 * layout has no offset and no fraction, and is always UTC.
 */

/** Epoch milliseconds to `YYYY-MM-DDTHH:MM:SS` (UTC). */
export const formatCacheTimestamp = (epochMillis: number): string => new Date(epochMillis).toISOString().slice(0, 19)

/** Epoch milliseconds to RFC 3339 UTC without fraction, e.g. `2024-01-01T12:10:00Z`. */
export const formatRfc3339 = (epochMillis: number): string => `${formatCacheTimestamp(epochMillis)}Z`

/** `YYYY-MM-DDTHH:MM:SS` (UTC) to epoch milliseconds; `undefined` when it is not that layout. */
export const parseCacheTimestamp = (timestamp: string): number | undefined => {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(timestamp)) return undefined
  const millis = Date.parse(`${timestamp}Z`)
  return Number.isNaN(millis) ? undefined : millis
}
