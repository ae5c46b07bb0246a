/** The cache's own time layout as a `Schema`, shared by every key that writes a time that way. */
import { Schema } from "effect"

/** `YYYY-MM-DDTHH:MM:SS`, UTC, no offset and no fraction: the layout existing readers parse. */
export const CacheTimestamp = Schema.String.pipe(
  Schema.pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
  Schema.annotations({ description: "UTC time as YYYY-MM-DDTHH:MM:SS, no offset, no fraction" })
)
