/**
 * Strict RFC 3339 instants: a full date, a full time and an explicit offset (`Z` or `±HH:MM`).
 *
 * `Date.parse` is too forgiving for a truthfulness check: it reads `2023-05-03` (no time),
 * `2023-05-03T10:00` (no offset, read as local time) and engine-specific layouts, so a forecast
 * point whose moment is ambiguous would slip through as if it were exact.
 */

// At most nine fraction digits (nanoseconds, the finest any clock writes): an unbounded fraction
// would let a "time" of any length through, and times are written to the file and the log.
const RFC3339_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/

const MILLIS_PER_MINUTE = 60_000

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

/** Fractions finer than a millisecond are truncated: epoch milliseconds cannot hold them. */
const fractionToMillis = (fraction: string | undefined): number =>
  fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"))

/**
 * Epoch milliseconds of an RFC 3339 instant, or `undefined` when the text is not one.
 * A leap second (`:60`) is refused: epoch milliseconds have no place for it, and no forecast
 * is published on one.
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
