import { defineConfig } from "vitest/config"
import { ByFileName } from "./sequencer.js"

/**
 * `npm run test:reliability`: the fault suite. Separate from `npm test` because it runs for
 * minutes; one file at a time, since its scenarios measure processes on a 2-core machine.
 */
export default defineConfig({
  test: {
    include: ["test/reliability/**/*.reliability.ts"],
    globalSetup: ["test/globalSetup.ts", "test/reliability/summary.ts"],
    fileParallelism: false,
    sequence: { sequencer: ByFileName },
    testTimeout: 300_000,
    hookTimeout: 60_000
  }
})
