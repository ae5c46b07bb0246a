/**
 * The poll cadence: the first poll at once, later ones every interval at a fixed rate measured
 * from poll starts. A poll that overruns is followed by the next one at once, never by a burst of
 * the ones it missed.
 *
 * `Schedule.fixed` is close but anchors its rate at the end of the first run (its state starts at
 * the first decision), so the second poll would come one interval after the first one *ended*;
 * this schedule is anchored at the loop's start instead.
 *
 * Time is measured on the monotonic clock (`Clock.currentTimeNanos`), not the wall clock the
 * schedule is handed: if NTP steps the wall clock back an hour, polling must not stop for an hour.
 * The delay is computed monotonically and then expressed against the wall time the schedule's
 * driver sleeps from.
 */
import { Clock, Duration, Effect, Schedule, ScheduleDecision, ScheduleInterval } from "effect"

/** Milliseconds on a clock that never steps back. */
export const monotonicMillis: Effect.Effect<number> = Effect.map(
  Clock.currentTimeNanos,
  (nanos) => Number(nanos / 1_000_000n)
)

/** `firstStart` is the loop's start on the monotonic clock (`monotonicMillis`). */
export const fixedRateFrom = (interval: Duration.DurationInput, firstStart: number): Schedule.Schedule<number> => {
  const intervalMillis = Duration.toMillis(interval)
  return Schedule.makeWithState<{ readonly lastStart: number; readonly count: number }, unknown, number>(
    { lastStart: firstStart, count: 0 },
    (wallNow, _, { count, lastStart }) =>
      Effect.map(monotonicMillis, (now) => {
        const next = Math.max(now, lastStart + intervalMillis)
        return [
          { lastStart: next, count: count + 1 },
          count,
          ScheduleDecision.continueWith(ScheduleInterval.after(wallNow + (next - now)))
        ] as const
      })
  )
}
