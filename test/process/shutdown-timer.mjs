// Preloaded into the service by the SIGTERM test (NODE_OPTIONS=--import=<this file>): at exit the
// process writes to SHUTDOWN_TIMING_FILE its exit code and how long it took from handling SIGTERM
// to exiting, on its own clock. On a busy machine the test and the child wait for a CPU in turn, so
// a stopwatch in the test also counts the signal's delivery and the parent noticing the exit; this
// counts only the service's own shutdown. It only listens: the service's own SIGTERM handler still
// does the stopping.
import { writeFileSync } from "node:fs"
import { performance } from "node:perf_hooks"

const file = process.env.SHUTDOWN_TIMING_FILE
if (file !== undefined) {
  let signalledAt
  process.prependListener("SIGTERM", () => {
    signalledAt ??= performance.now()
  })
  process.once("exit", (code) => {
    writeFileSync(
      file,
      JSON.stringify({ code, shutdownMillis: signalledAt === undefined ? null : performance.now() - signalledAt })
    )
  })
}
