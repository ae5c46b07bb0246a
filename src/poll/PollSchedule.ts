/**
 * The poll cadence: the first poll at once, later ones every interval at a
 * fixed rate measured from poll starts. A poll that overruns is followed by the next one at once,
 * never by a burst of the ones it missed.
 *
 * `Schedule.fixed` is close but anchors its rate at the end of the first run (its state starts at
 * the first decision), so the second poll would come one interval after the first one *ended*;
 * this schedule is anchored at the loop's start instead.
 */
import { Duration, Effect, Schedule, ScheduleDecision, ScheduleInterval } from "effect"

export const fixedRateFrom = (interval: Duration.DurationInput, firstStart: number): Schedule.Schedule<number> => {
  const intervalMillis = Duration.toMillis(interval)
  return Schedule.makeWithState<{ readonly lastStart: number; readonly count: number }, unknown, number>(
    { lastStart: firstStart, count: 0 },
    (now, _, { count, lastStart }) => {
      const next = Math.max(now, lastStart + intervalMillis)
      return Effect.succeed(
        [
          { lastStart: next, count: count + 1 },
          count,
          ScheduleDecision.continueWith(ScheduleInterval.after(next))
        ] as const
      )
    }
  )
}
