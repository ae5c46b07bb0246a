/**
 * Whether this run polls again. The long-running service does, so its log lines may say a failure
 * is "tried again next poll" or a missing zone "asked again hourly"; `--once` does not, and a line
 * promising a next poll would send the reader waiting for one that never comes.
 */
import { Effect, FiberRef } from "effect"

/** True in the service's poll loop (the default), false under `--once`. */
export const pollsAgain: FiberRef.FiberRef<boolean> = FiberRef.unsafeMake(true)

/** Runs `effect` as a one-shot run: no log line it writes promises another poll. */
export const once = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locally(effect, pollsAgain, false)

/** `clause` in a run that polls again, nothing in a one-shot run. */
export const whenPollingAgain = (clause: string): Effect.Effect<string> =>
  Effect.map(FiberRef.get(pollsAgain), (again) => (again ? clause : ""))
