/**
 * The Node process around the service: which signals stop it, which are ignored (see
 * src/platform/ProcessGuard.ts, loaded first), and stdout and stderr that may break. Node's defaults would
 * end the process without a word on SIGHUP, and crash on the first log line written to a closed
 * pipe.
 */
import type { RunMain } from "@effect/platform/Runtime"
import { makeRunMain } from "@effect/platform/Runtime"
import { Effect, Option, Stream } from "effect"
import { onIgnoredSignal } from "./ProcessGuard.js"
import type { ProcessSignals } from "./Signals.js"

/** Handled like SIGTERM: the program is interrupted, cleans up and exits (0 for the service). */
export const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"] as const

/**
 * The process's signals as the program sees them, and `runMain` over them. One per process: signal
 * handlers are process-wide.
 */
export const make = (deadlineMillis: number): { readonly signals: ProcessSignals; readonly runMain: RunMain } => {
  let stopSignal: string | undefined
  const signals: ProcessSignals = {
    stopRequested: Effect.sync(() => Option.fromNullable(stopSignal)),
    ignored: Stream.async<string>((emit) => {
      onIgnoredSignal((signal) => void emit.single(signal))
    })
  }

  /**
   * Like `NodeRuntime.runMain`, with every signal of `STOP_SIGNALS` rather than SIGINT and SIGTERM
   * only, and the shutdown deadline: a filesystem call the kernel never returns from (a hung network
   * mount) keeps a libuv thread busy, and then even `process.exit` waits for it forever. Rather than
   * hang until the kubelet's SIGKILL, the process kills itself `deadlineMillis` after the first stop
   * signal (exit status 137), saying why. Further stop signals change nothing.
   */
  const runMain = makeRunMain(({ fiber, teardown }) => {
    const keepAlive = setInterval(() => {}, 2 ** 31 - 1)
    const onStop = (signal: string) => {
      if (stopSignal !== undefined) return
      stopSignal = signal
      setTimeout(() => {
        process.stderr.write(
          `carbon-poller: shutdown did not finish within ${deadlineMillis} ms (a filesystem call never returned); killing the process\n`
        )
        process.kill(process.pid, "SIGKILL")
      }, deadlineMillis).unref()
      fiber.unsafeInterruptAsFork(fiber.id())
    }
    for (const signal of STOP_SIGNALS) process.on(signal, onStop)
    fiber.addObserver((exit) => {
      clearInterval(keepAlive)
      teardown(exit, (code) => {
        if (stopSignal !== undefined || code !== 0) process.exit(code)
      })
    })
  })
  return { signals, runMain }
}

/**
 * A closed pipe on stdout or stderr (a log shipper that went away) emits `error` on the stream;
 * unhandled, that ends the process. Logging degrades instead: lines that cannot be written are
 * dropped, and the other stream says so once.
 */
export const keepRunningWhenStdioBreaks = (): void => {
  const broken = new Set<NodeJS.WriteStream>()
  const watch = (name: string, stream: NodeJS.WriteStream, other: NodeJS.WriteStream) => {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (broken.has(stream)) return
      broken.add(stream)
      if (!broken.has(other)) {
        other.write(`carbon-poller: ${name} is closed (${error.code ?? error.message}); its log lines are dropped\n`)
      }
    })
  }
  watch("stdout", process.stdout, process.stderr)
  watch("stderr", process.stderr, process.stdout)
}
