/**
 * Scenario 6, last part: runs after every other scenario and scans everything their processes
 * emitted (stdout, stderr, cache files, /metrics, /cache) for the distinctive key.
 */
import { existsSync, readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { EMITTED_FILE, KEY, record } from "./support.js"

describe("6. security: the key never escapes", () => {
  it("nothing any process of this suite emitted contains the key", () => {
    const emitted = existsSync(EMITTED_FILE) ? readFileSync(EMITTED_FILE, "utf8") : ""
    const leaks = emitted.split(KEY).length - 1
    record({
      scenario: "6 key never emitted",
      runs: 1,
      failures: leaks,
      figures: `${
        (emitted.length / 1024).toFixed(0)
      } KiB of stdout, stderr, cache files, /metrics and /cache scanned, ${leaks} occurrences`
    })
    expect(emitted.length).toBeGreaterThan(0)
    expect(leaks).toBe(0)
  })
})
