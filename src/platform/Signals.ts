/**
 * What the process's signals mean to the service, and the log lines they leave. The platform
 * (src/platform/NodeProcess.ts for Node) decides which signals stop the service and which are ignored, and
 * reports both here; the service says so in its own log format.
 */
import { Effect, Option, Stream } from "effect"

export interface ProcessSignals {
  /** The signal that asked the process to stop, once one has. */
  readonly stopRequested: Effect.Effect<Option.Option<string>>
  /** Each signal received and deliberately ignored, as it arrives. */
  readonly ignored: Stream.Stream<string>
}

/** No signals at all: for programs that run without a process of their own (tests, the bench). */
export const none: ProcessSignals = { stopRequested: Effect.succeedNone, ignored: Stream.never }

const why: Readonly<Record<string, string>> = {
  SIGUSR1: "it would open Node's inspector, which lets anyone who can reach 127.0.0.1:9229 run code in the process"
}

const logIgnored = (signal: string) =>
  Effect.logWarning(`${signal} received and ignored${why[signal] ? `: ${why[signal]}` : ""}`).pipe(
    Effect.annotateLogs({ event: "signal", signal, action: "ignored" })
  )

/**
 * `program` with its signals logged: each ignored signal as it arrives, and the one that stopped it
 * once the program has been interrupted (`onStop` says what that means for this command).
 */
export const withSignalLog = <A, E, R>(
  program: Effect.Effect<A, E, R>,
  signals: ProcessSignals,
  onStop: (signal: string) => Effect.Effect<void>
): Effect.Effect<A, E, R> =>
  Effect.scoped(
    Effect.zipRight(Effect.forkScoped(Stream.runForEach(signals.ignored, logIgnored)), program)
  ).pipe(
    Effect.onInterrupt(() =>
      Effect.flatMap(
        signals.stopRequested,
        Option.match({
          onNone: () => Effect.void,
          onSome: (signal) => onStop(signal).pipe(Effect.annotateLogs({ event: "signal", signal, action: "stop" }))
        })
      )
    )
  )
