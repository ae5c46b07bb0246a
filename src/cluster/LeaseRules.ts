/**
 * The leader-election rules as plain functions over plain data (times in epoch milliseconds), so
 * they can be tested without a server or a clock.
 *
 * A candidate may take the Lease when nobody holds it or the holder let it lapse: its last
 * renewTime plus leaseDurationSeconds lies in the past. The holder itself must stop acting strictly
 * before that moment as seen by its own clock, measured from when it SENT its last successful
 * renewal (the renewTime it wrote can only be later than that); a margin covers clock drift
 * between the holder and the others.
 */

/** What a Lease says, read off its spec. */
export interface LeaseRecord {
  readonly holder: string | undefined
  readonly leaseDurationSeconds: number
  readonly acquireTime: number | undefined
  readonly renewTime: number | undefined
  readonly leaseTransitions: number
}

/** When the lease lapses if its holder does not renew; undefined if it never was renewed. */
export const expiresAt = (lease: LeaseRecord): number | undefined =>
  lease.renewTime === undefined ? undefined : lease.renewTime + lease.leaseDurationSeconds * 1000

export const isFree = (lease: LeaseRecord): boolean => lease.holder === undefined || lease.holder === ""

/** Free, never renewed, or renewTime + leaseDurationSeconds < now. */
export const isExpired = (lease: LeaseRecord, now: number): boolean => {
  if (isFree(lease)) return true
  const end = expiresAt(lease)
  return end === undefined || end < now
}

/** I may write myself in as holder: I hold it already, or it is free or expired. */
export const mayAcquire = (lease: LeaseRecord, identity: string, now: number): boolean =>
  lease.holder === identity || isExpired(lease, now)

/**
 * The holder's own deadline: it must have stepped down by then. `renewSentAt` is the holder's clock
 * when it sent the renewal that succeeded.
 */
export const stepDownDeadline = (renewSentAt: number, leaseDurationMillis: number, marginMillis: number): number =>
  renewSentAt + leaseDurationMillis - marginMillis

export const mustStepDown = (now: number, deadline: number): boolean => now >= deadline

/**
 * The spec I write when acquiring or renewing: acquireTime and leaseTransitions change only when
 * the holder changes (a takeover, or taking a released lease).
 */
export const nextRecord = (
  current: LeaseRecord | undefined,
  identity: string,
  now: number,
  leaseDurationSeconds: number
): LeaseRecord => {
  const renewing = current !== undefined && current.holder === identity
  return {
    holder: identity,
    leaseDurationSeconds,
    acquireTime: renewing ? (current.acquireTime ?? now) : now,
    renewTime: now,
    leaseTransitions: current === undefined ? 0 : renewing ? current.leaseTransitions : current.leaseTransitions + 1
  }
}

/**
 * What a leader writes when it lets go: no holder, and a one-second duration renewed now, so even
 * a candidate that ignores the empty holder sees it lapse at once (client-go does the same).
 */
export const releasedRecord = (current: LeaseRecord, now: number): LeaseRecord => ({
  holder: undefined,
  leaseDurationSeconds: 1,
  acquireTime: now,
  renewTime: now,
  leaseTransitions: current.leaseTransitions
})

/** Reads a MicroTime (or any RFC 3339 time); undefined when absent or unreadable. */
export const parseTime = (value: unknown): number | undefined => {
  const text = value instanceof Date ? value.toISOString() : typeof value === "string" ? value : undefined
  if (text === undefined) return undefined
  const millis = Date.parse(text)
  return Number.isNaN(millis) ? undefined : millis
}
