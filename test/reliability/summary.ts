/**
 * Global setup/teardown of the reliability suite: starts a fresh results file and prints the
 * summary table (scenario, runs, failures, figures) when the suite ends.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs"
import { EMITTED_FILE, RESULTS_FILE, type ScenarioResult } from "./support.js"

export function setup(): void {
  mkdirSync(".cache/reliability", { recursive: true })
  rmSync(RESULTS_FILE, { force: true })
  rmSync(EMITTED_FILE, { force: true })
}

export function teardown(): void {
  if (!existsSync(RESULTS_FILE)) return
  const rows = readFileSync(RESULTS_FILE, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as ScenarioResult)
  const width = Math.max(8, ...rows.map((r) => r.scenario.length))
  const lines = [
    "",
    "reliability summary",
    `| ${"scenario".padEnd(width)} | runs | failures | figures`,
    `|${"-".repeat(width + 2)}|------|----------|--------`,
    ...rows.map((r) => `| ${r.scenario.padEnd(width)} | ${String(r.runs).padStart(4)} | ${String(r.failures).padStart(8)} | ${r.figures}`)
  ]
  console.log(lines.join("\n"))
}
