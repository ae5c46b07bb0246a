/**
 * Every time layout the service reads or writes, in one place.
 *
 * - The cache's own layout, `YYYY-MM-DDTHH:MM:SS`: existing readers (the Go scheduler) parse
 *   `2006-01-02T15:04:05`, so it has no offset and no fraction, and is always UTC.
 * - Strict RFC 3339 instants for what providers send. `Date.parse` is too forgiving for a
 *   truthfulness check: it reads `2023-05-03` (no time), `2023-05-03T10:00` (no offset, read as
 *   local time) and engine-specific layouts, so a reading whose moment is ambiguous would slip
 *   through as if it were exact.
 */
import { Schema } from "effect"

const CACHE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/

// At most nine fraction digits (nanoseconds, the finest any clock writes): an unbounded fraction
// would let a "time" of any length through, and times are written to the file and the log.
const RFC3339_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/

const MILLIS_PER_MINUTE = 60_000

/** `YYYY-MM-DDTHH:MM:SS`, UTC, no offset and no fraction: the layout existing readers parse. */
export const CacheTimestamp = Schema.String.pipe(
  Schema.pattern(CACHE_TIMESTAMP),
  Schema.annotations({ description: "UTC time as YYYY-MM-DDTHH:MM:SS, no offset, no fraction" })
)

/** Epoch milliseconds to `YYYY-MM-DDTHH:MM:SS` (UTC). */
export const formatCacheTimestamp = (epochMillis: number): string => new Date(epochMillis).toISOString().slice(0, 19)

/** `YYYY-MM-DDTHH:MM:SS` (UTC) to epoch milliseconds; `undefined` when it is not that layout. */
export const parseCacheTimestamp = (timestamp: string): number | undefined => {
  if (!CACHE_TIMESTAMP.test(timestamp)) return undefined
  const millis = Date.parse(`${timestamp}Z`)
  return Number.isNaN(millis) ? undefined : millis
}

/** Epoch milliseconds to RFC 3339 UTC without fraction, e.g. `2024-01-01T12:10:00Z`. */
export const formatRfc3339 = (epochMillis: number): string => `${formatCacheTimestamp(epochMillis)}Z`

/** RFC 3339 UTC with `Z`; a fraction only when the instant has one (forecast points are on the hour). */
export const formatInstant = (epochMillis: number): string =>
  epochMillis % 1000 === 0 ? formatRfc3339(epochMillis) : new Date(epochMillis).toISOString()

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

/** Fractions finer than a millisecond are truncated: epoch milliseconds cannot hold them. */
const fractionToMillis = (fraction: string | undefined): number =>
  fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"))

/**
 * Epoch milliseconds of an RFC 3339 instant, or `undefined` when the text is not one.
 * A leap second (`:60`) is refused: epoch milliseconds have no place for it, and no provider
 * publishes on one.
 */
export const parseRfc3339Instant = (text: string): number | undefined => {
  const match = RFC3339_INSTANT.exec(text)
  if (match === null) return undefined
  const field = (group: number): number => Number(match[group] ?? "0")
  const [year, month, day, hour, minute, second] = [field(1), field(2), field(3), field(4), field(5), field(6)]
  const offsetSign = match[8] === "-" ? -1 : 1
  const offsetHours = field(9)
  const offsetMinutes = field(10)
  const fieldsInRange = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) &&
    hour <= 23 && minute <= 59 && second <= 59 && offsetHours <= 23 && offsetMinutes <= 59
  if (!fieldsInRange) return undefined
  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 1900..1999.
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, fractionToMillis(match[7]))
  return date.getTime() - offsetSign * (offsetHours * 60 + offsetMinutes) * MILLIS_PER_MINUTE
}
