// Preloaded into every process the bench times (NODE_OPTIONS=--import=<this file>): at exit the
// process appends its own resource usage, as the kernel accounts it, to BENCH_USAGE_FILE:
// one JSON line {"userMs","systemMs","maxRssKiB"}. maxRSS is the peak resident set of the whole
// process since it started, start-up included. Costs a few hundred microseconds of loading.
import { appendFileSync } from "node:fs"

const file = process.env.BENCH_USAGE_FILE
if (file !== undefined) {
  process.once("exit", () => {
    const usage = process.resourceUsage()
    appendFileSync(
      file,
      `${
        JSON.stringify({
          userMs: usage.userCPUTime / 1000,
          systemMs: usage.systemCPUTime / 1000,
          maxRssKiB: usage.maxRSS
        })
      }\n`
    )
  })
}
