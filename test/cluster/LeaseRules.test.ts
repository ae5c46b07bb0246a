/** The leader-election rules on plain data. */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import {
  expiresAt,
  isExpired,
  type LeaseRecord,
  mayAcquire,
  mustStepDown,
  nextRecord,
  parseTime,
  releasedRecord,
  stepDownDeadline
} from "../../src/cluster/LeaseRules.js"

const T0 = Date.UTC(2026, 0, 1)
const held = (holder: string | undefined, renewTime: number | undefined, leaseDurationSeconds = 15): LeaseRecord => ({
  holder,
  leaseDurationSeconds,
  acquireTime: renewTime,
  renewTime,
  leaseTransitions: 3
})

describe("isExpired", () => {
  it("a lease without holder is free whatever its times", () => {
    assert.isTrue(isExpired(held(undefined, T0), T0))
    assert.isTrue(isExpired(held("", T0), T0))
  })
  it("a held lease lapses only once renewTime + duration lies in the past", () => {
    assert.isFalse(isExpired(held("a", T0), T0 + 14_999))
    assert.isFalse(isExpired(held("a", T0), T0 + 15_000))
    assert.isTrue(isExpired(held("a", T0), T0 + 15_001))
  })
  it("a held lease that was never renewed counts as lapsed", () => {
    assert.isTrue(isExpired(held("a", undefined), T0))
  })
  it.prop("never lapsed before its end, always after", [
    FastCheck.integer({ min: 1, max: 3600 }),
    FastCheck.integer({ min: -100_000, max: 100_000 })
  ], ([seconds, offset]) => {
    const lease = held("a", T0, seconds)
    const now = T0 + seconds * 1000 + offset
    assert.strictEqual(isExpired(lease, now), offset > 0)
    assert.strictEqual(expiresAt(lease), T0 + seconds * 1000)
  })
})

describe("mayAcquire", () => {
  it("the holder may always renew, even late", () => {
    assert.isTrue(mayAcquire(held("a", T0), "a", T0 + 1))
    assert.isTrue(mayAcquire(held("a", T0), "a", T0 + 60_000))
  })
  it("another candidate only when free or lapsed", () => {
    assert.isFalse(mayAcquire(held("a", T0), "b", T0 + 10_000))
    assert.isTrue(mayAcquire(held("a", T0), "b", T0 + 15_001))
    assert.isTrue(mayAcquire(held(undefined, T0), "b", T0))
  })
})

describe("step-down deadline", () => {
  it("lies strictly before the lease lapses, by the margin", () => {
    const deadline = stepDownDeadline(T0, 15_000, 2_000)
    assert.strictEqual(deadline, T0 + 13_000)
    assert.isFalse(mustStepDown(T0 + 12_999, deadline))
    assert.isTrue(mustStepDown(T0 + 13_000, deadline))
  })
  it.prop(
    "a leader that obeys it never acts when another candidate may acquire",
    [
      FastCheck.integer({ min: 1, max: 60 }),
      FastCheck.integer({ min: 1, max: 5000 }),
      FastCheck.integer({ min: 0, max: 120_000 })
    ],
    ([seconds, margin, elapsed]) => {
      // The renewTime written is the holder's send time, so others measure from the same instant.
      const lease = held("a", T0, seconds)
      const now = T0 + elapsed
      const acting = !mustStepDown(now, stepDownDeadline(T0, seconds * 1000, margin))
      if (acting) assert.isFalse(mayAcquire(lease, "b", now))
    }
  )
})

describe("nextRecord", () => {
  it("renewing keeps acquireTime and the transition count", () => {
    const next = nextRecord(held("a", T0), "a", T0 + 5000, 15)
    assert.deepStrictEqual(next, {
      holder: "a",
      leaseDurationSeconds: 15,
      acquireTime: T0,
      renewTime: T0 + 5000,
      leaseTransitions: 3
    })
  })
  it("a takeover sets acquireTime and counts a transition", () => {
    const next = nextRecord(held("a", T0), "b", T0 + 20_000, 15)
    assert.deepStrictEqual(next, {
      holder: "b",
      leaseDurationSeconds: 15,
      acquireTime: T0 + 20_000,
      renewTime: T0 + 20_000,
      leaseTransitions: 4
    })
  })
  it("the first holder of a new lease starts at zero transitions", () => {
    assert.strictEqual(nextRecord(undefined, "a", T0, 15).leaseTransitions, 0)
  })
  it("a release clears the holder, keeps the count, and lapses in one second", () => {
    const released = releasedRecord(held("a", T0), T0 + 3000)
    assert.deepStrictEqual(released, {
      holder: undefined,
      leaseDurationSeconds: 1,
      acquireTime: T0 + 3000,
      renewTime: T0 + 3000,
      leaseTransitions: 3
    })
    assert.isTrue(isExpired(released, T0 + 3000))
  })
})

describe("MicroTime", () => {
  it("reads microsecond strings, and Dates, back", () => {
    assert.strictEqual(parseTime("2026-01-01T00:00:00.123456Z"), T0 + 123)
    assert.strictEqual(parseTime(new Date(T0)), T0)
    assert.isUndefined(parseTime("yesterday"))
    assert.isUndefined(parseTime(undefined))
  })
})
