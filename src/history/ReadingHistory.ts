/**
 * The readings of the last 24 hours, per zone, as plain data: what the Electricity-Maps-compatible
 * `history` route answers. Pure: the caller passes the time.
 *
 * One point per reading `datetime` (compared as instants, so `…T12:00:00Z` and `…T12:00:00.000Z`
 * are one point): a later fetch of the same datetime replaces the earlier one, because a provider
 * revises its value for an hour as measurements arrive. Points older than the window leave, and a
 * zone keeps at most `MAX_POINTS_PER_ZONE`, so the size is bounded by zones × one day.
 */
import type { CacheEntry } from "../domain/CacheFile.js"
import { parseCacheTimestamp, parseRfc3339Instant } from "../domain/Time.js"

export const HISTORY_WINDOW_MILLIS = 24 * 60 * 60_000
/** A day of five-minute readings, the finest any provider publishes; hourly ones use 24. */
export const MAX_POINTS_PER_ZONE = 288

export interface HistoryPoint {
  /** The reading's `datetime` as epoch milliseconds. */
  readonly at: number
  /** When it was fetched (the entry's `timestamp`), epoch milliseconds. */
  readonly fetchedAt: number
  readonly entry: CacheEntry
}

/** Per zone key, points ascending by `at`. */
export type ReadingHistory = ReadonlyMap<string, ReadonlyArray<HistoryPoint>>

export const emptyHistory: ReadingHistory = new Map()

/** The point an entry makes, or undefined when its times do not parse (such an entry is never written). */
export const pointOf = (entry: CacheEntry): HistoryPoint | undefined => {
  const at = parseRfc3339Instant(entry.datetime)
  const fetchedAt = parseCacheTimestamp(entry.timestamp)
  return at === undefined || fetchedAt === undefined ? undefined : { at, fetchedAt, entry }
}

const isRecent = (now: number) => (point: HistoryPoint): boolean => now - point.at < HISTORY_WINDOW_MILLIS

const merge = (points: ReadonlyArray<HistoryPoint>, incoming: HistoryPoint): ReadonlyArray<HistoryPoint> => {
  const same = points.findIndex((point) => point.at === incoming.at)
  // A fetch older than the one kept (a late, out-of-order write) never overrides a revision.
  if (same !== -1 && (points[same]?.fetchedAt ?? 0) > incoming.fetchedAt) return points
  const others = same === -1 ? points : points.filter((_, index) => index !== same)
  return [...others, incoming].sort((a, b) => a.at - b.at)
}

const bounded = (points: ReadonlyArray<HistoryPoint>, now: number): ReadonlyArray<HistoryPoint> =>
  points.filter(isRecent(now)).slice(-MAX_POINTS_PER_ZONE)

/** The history with each zone's points added, then pruned to the window as of `now`. */
export const record = (
  history: ReadingHistory,
  entries: Readonly<Record<string, CacheEntry>>,
  now: number
): ReadingHistory => {
  const next = new Map(history)
  for (const [zone, entry] of Object.entries(entries)) {
    const point = pointOf(entry)
    if (point !== undefined) next.set(zone, merge(next.get(zone) ?? [], point))
  }
  return prune(next, now)
}

/** Only the points within the window as of `now`; zones left without any are dropped. */
export const prune = (history: ReadingHistory, now: number): ReadingHistory => {
  const next = new Map<string, ReadonlyArray<HistoryPoint>>()
  for (const [zone, points] of history) {
    const kept = bounded(points, now)
    if (kept.length > 0) next.set(zone, kept)
  }
  return next
}

/** The first moment a point of this history leaves the window; undefined when it is empty. */
export const firstExpiry = (history: ReadingHistory): number | undefined => {
  let earliest: number | undefined
  for (const points of history.values()) {
    const first = points[0]
    if (first !== undefined && (earliest === undefined || first.at < earliest)) earliest = first.at
  }
  return earliest === undefined ? undefined : earliest + HISTORY_WINDOW_MILLIS
}
