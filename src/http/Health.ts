/** What liveness and readiness mean, as plain functions of the poll status and the time. */
import { Option } from "effect"
import { parseCacheTimestamp } from "../domain/Time.js"
import type { StatusSnapshot, WrittenCache } from "../poll/PollStatus.js"

const MILLIS_PER_MINUTE = 60_000
/** The largest time a `Date` can hold; a validity beyond it (or not a number) is no time at all. */
const MAX_DATE_MILLIS = 8.64e15

/** When the cache says it stops being valid: its own `timestamp` plus `ttl_minutes`. */
export const expiresAt = (written: WrittenCache): number =>
  (parseCacheTimestamp(written.cache.timestamp) ?? written.writtenAt) + written.cache.ttl_minutes * MILLIS_PER_MINUTE

/**
 * Alive while polls keep starting: the last one (or the process start, before the first) within
 * two intervals plus the request timeout. A stuck loop fails this; a failing API does not.
 */
export const liveness = (snapshot: StatusSnapshot, allowanceMillis: number, now: number) => {
  const last = Option.getOrElse(snapshot.lastPollStartedAt, () => snapshot.startedAt)
  const sinceLastPollStart = now - last
  return { alive: sinceLastPollStart <= allowanceMillis, sinceLastPollStartMillis: sinceLastPollStart, allowanceMillis }
}

/**
 * Ready once this process has written a cache that is still within its TTL. When the last write
 * failed, the answer says why, so a failing disk shows up in the probe before the cache expires;
 * in cluster mode, so does a published cache that was refused rather than mirrored. A validity
 * that is no time at all (a hand-edited TTL) is not ready, never an error.
 */
export const readiness = (
  snapshot: StatusSnapshot,
  now: number
): {
  readonly ready: boolean
  readonly reason: string
  readonly lastWriteError?: string
  readonly publishedCacheRefused?: string
} => {
  const details = {
    ...Option.match(snapshot.lastWriteError, { onNone: () => ({}), onSome: (error) => ({ lastWriteError: error }) }),
    ...(snapshot.publishedRefused === undefined ? {} : { publishedCacheRefused: snapshot.publishedRefused })
  }
  return Option.match(snapshot.lastWrite, {
    onNone: () => ({ ready: false, reason: "no cache written yet by this process", ...details }),
    onSome: (written) => {
      const until = expiresAt(written)
      if (!(Number.isFinite(until) && Math.abs(until) <= MAX_DATE_MILLIS)) {
        return { ready: false, reason: "the cache's validity (timestamp + ttl_minutes) is not a time", ...details }
      }
      const expiry = new Date(until).toISOString()
      return now < until
        ? { ready: true, reason: `cache valid until ${expiry}`, ...details }
        : { ready: false, reason: `cache expired at ${expiry}: no poll has written since`, ...details }
    }
  })
}
