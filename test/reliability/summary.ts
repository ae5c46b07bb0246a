/**
 * Global setup/teardown of the reliability suite: starts a fresh results file and prints the
 * summary table (scenario, runs, failures, figures) when the suite ends.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs"
import { EMITTED_FILE, RESULTS_FILE, type ScenarioResult, TEMP_DIRS_FILE } from "./support.js"

export function setup(): void {
  mkdirSync(".cache/reliability", { recursive: true })
  rmSync(RESULTS_FILE, { force: true })
  rmSync(EMITTED_FILE, { force: true })
  rmSync(TEMP_DIRS_FILE, { force: true })
}

/** The scenarios' temporary directories (tmpfs mounts are unmounted by their own tests). */
const removeTempDirs = (): void => {
  if (!existsSync(TEMP_DIRS_FILE)) return
  for (const dir of readFileSync(TEMP_DIRS_FILE, "utf8").split("\n")) {
    try {
      if (dir.includes("carbon-poller-rel-")) rmSync(dir, { recursive: true, force: true })
    } catch (error) {
      // A mount point left mounted by a crashed test: say so, but keep the summary.
      console.warn(`could not remove ${dir}: ${String(error)}`)
    }
  }
  rmSync(TEMP_DIRS_FILE, { force: true })
}

export function teardown(): void {
  try {
    printSummary()
  } finally {
    removeTempDirs()
  }
}

function printSummary(): void {
  if (!existsSync(RESULTS_FILE)) return
  const rows = readFileSync(RESULTS_FILE, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as ScenarioResult)
  const width = Math.max(8, ...rows.map((r) => r.scenario.length))
  const failures = rows.reduce((n, r) => n + r.failures, 0)
  // Markdown, so the latest figures paste straight into docs/reliability.md.
  const lines = [
    "",
    "reliability summary",
    `| ${"scenario".padEnd(width)} | runs | failures | figures |`,
    `|${"-".repeat(width + 2)}|-----:|---------:|---------|`,
    ...rows.map((r) =>
      `| ${r.scenario.padEnd(width)} | ${String(r.runs).padStart(4)} | ${String(r.failures).padStart(8)} | ${
        r.figures.replace(/\|/g, "\\|")
      } |`
    ),
    "",
    `${rows.length} scenarios recorded, ${failures} failures${failures > 0 ? ": see the BROKE entries above" : ""}`
  ]
  console.log(lines.join("\n"))
}
