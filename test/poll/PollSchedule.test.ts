import { assert, describe, it } from "@effect/vitest"
import { Effect, type ScheduleDecision, ScheduleIntervals, TestClock } from "effect"
import { fixedRateFrom } from "../../src/poll/PollSchedule.js"

const MINUTE = 60_000

/** When the driver is told to run next (wall-clock milliseconds). */
const startOf = (decision: ScheduleDecision.ScheduleDecision): number =>
  decision._tag === "Continue" ? ScheduleIntervals.start(decision.intervals) : Number.NaN

describe("the poll cadence", () => {
  it.effect("measures the interval on the monotonic clock: a wall clock stepped back an hour does not stop polling", () =>
    Effect.gen(function*() {
      const schedule = fixedRateFrom(MINUTE * 5, 0)
      // The first poll starts at monotonic 0 and takes 30 s.
      yield* TestClock.setTime(30_000)
      const wallNow = Date.UTC(2026, 10, 27, 12, 0, 30)
      const [state, , first] = yield* schedule.step(wallNow, undefined, schedule.initial)
      assert.strictEqual(first._tag, "Continue")
      const firstStart = startOf(first)
      assert.strictEqual(firstStart - wallNow, 4.5 * MINUTE)

      // Five minutes later on the monotonic clock, the wall clock has been stepped back an hour.
      yield* TestClock.setTime(5 * MINUTE + 10_000)
      const steppedBack = wallNow + 4.5 * MINUTE + 10_000 - 60 * MINUTE
      const [, , second] = yield* schedule.step(steppedBack, undefined, state)
      const secondStart = startOf(second)
      assert.strictEqual(secondStart - steppedBack, 4 * MINUTE + 50_000)
    }))
})
