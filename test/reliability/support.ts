/**
 * Shared parts of the reliability suite: the real service process against the simulator, its
 * log lines, its memory, and a results file the summary table is printed from.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setTimeout as delay } from "node:timers/promises"
import type * as Simulator from "../../src/simulator/Simulator.js"
import { type ServiceProcess, spawnService } from "../support/processes.js"

/** Distinctive, so a single leaked byte sequence is unmistakable. */
export const KEY = "rel-KEY-7d1e9a44c0b2-do-not-leak"

export const RESULTS_FILE = ".cache/reliability/results.jsonl"
export const EMITTED_FILE = ".cache/reliability/emitted.txt"

export interface ScenarioResult {
  readonly scenario: string
  readonly runs: number
  readonly failures: number
  readonly figures: string
}

export const record = (result: ScenarioResult): void => {
  mkdirSync(".cache/reliability", { recursive: true })
  appendFileSync(RESULTS_FILE, `${JSON.stringify(result)}\n`)
}

/** Everything a process emitted, kept for the final scan for the key (scenario 6). */
export const keepEmitted = (...texts: ReadonlyArray<string>): void => {
  mkdirSync(".cache/reliability", { recursive: true })
  appendFileSync(EMITTED_FILE, texts.join("\n"))
}

export const TEMP_DIRS_FILE = ".cache/reliability/tempdirs.txt"

/** A fresh directory under the system's temp dir, listed so the global teardown removes it. */
export const tempDir = (label: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `carbon-poller-rel-${label}-`))
  mkdirSync(".cache/reliability", { recursive: true })
  appendFileSync(TEMP_DIRS_FILE, `${dir}\n`)
  return dir
}

export const waitUntil = async (
  condition: () => boolean | Promise<boolean>,
  deadlineMillis: number,
  pollMillis = 25
): Promise<boolean> => {
  const until = performance.now() + deadlineMillis
  while (performance.now() < until) {
    if (await condition()) return true
    await delay(pollMillis)
  }
  return false
}

export interface LogLine {
  readonly message: string
  readonly logLevel: string
  readonly annotations: Readonly<Record<string, unknown>>
}

export const logLines = (service: ServiceProcess): Array<LogLine> =>
  service
    .stdout()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine)

export const pollLines = (service: ServiceProcess) => logLines(service).filter((l) => l.annotations["event"] === "poll")

/** Resident set size of a process in bytes, from the kernel. */
export const rssOf = (pid: number | undefined): number => {
  if (pid === undefined) return 0
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return match ? Number(match[1]) * 1024 : 0
  } catch {
    return 0
  }
}

export const tempFilesIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.includes(".tmp-")) : [])

export const baseEnv = (
  apiUrl: string,
  cacheFile: string,
  extra: Record<string, string> = {}
): Record<string, string> => ({
  ELECTRICITY_MAPS_API_KEY: KEY,
  ELECTRICITY_MAPS_API_URL: apiUrl,
  CACHE_FILE: cacheFile,
  LOG_FORMAT: "json",
  HTTP_PORT: "0",
  RETRY_BASE_DELAY_SECONDS: "0.02",
  RETRY_MAX_DELAY_SECONDS: "0.5",
  ...extra
})

/** Keeps the current contents of files a process wrote (its cache), if they exist. */
export const keepFiles = (...paths: ReadonlyArray<string>): void => {
  for (const path of paths) if (existsSync(path)) keepEmitted(readFileSync(path, "utf8"))
}

/**
 * Stops a service with SIGTERM and keeps what it emitted (stdout, stderr and the given files,
 * e.g. its cache) for the final scan for the key; returns its exit code.
 */
export const stop = async (service: ServiceProcess, ...files: ReadonlyArray<string>): Promise<number | string> => {
  service.child.kill("SIGTERM")
  const code = await service.exited(5_000)
  keepEmitted(service.stdout(), service.stderr())
  keepFiles(...files)
  return code
}

/** The value of one Prometheus sample, e.g. `metric(text, "carbon_poller_fetches_total", { zone: "DE", outcome: "ok" })`. */
export const metric = (
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {}
): number | undefined => {
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line)
    if (match === null || match[1] !== name) continue
    const present = new Map(
      [...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]])
    )
    if (Object.entries(labels).every(([key, value]) => present.get(key) === value)) return Number(match[3])
  }
  return undefined
}

/** Waits until `/cache` and the file hold the same bytes (a write may land between two reads). */
export const servedMatchesFile = async (port: number, file: string, attempts = 5): Promise<boolean> => {
  for (let i = 0; i < attempts; i++) {
    const before = readFileSync(file, "utf8")
    const served = await httpGet(port, "/cache")
    keepEmitted(served.body)
    if (served.body === before || served.body === readFileSync(file, "utf8")) return true
  }
  return false
}

export const freePort = async (): Promise<number> => {
  const { createServer } = await import("node:net")
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export const httpGet = async (port: number, path: string): Promise<{ status: number; body: string }> => {
  const response = await fetch(`http://127.0.0.1:${port}${path}`)
  return { status: response.status, body: await response.text() }
}

/** One rule of each fault kind the simulator has, sized to fail a request within the suite's timeouts. */
export const EVERY_FAULT: ReadonlyArray<Simulator.FaultRuleInput["fault"]> = [
  { kind: "latency", ms: 1_000 },
  { kind: "server-error", status: 503 },
  { kind: "rate-limit-429", retryAfterSeconds: 1 },
  { kind: "rate-limit-401" },
  { kind: "hang" },
  { kind: "slow", chunkBytes: 4, intervalMs: 200 },
  { kind: "invalid-json", status: 200 },
  { kind: "html-502" },
  { kind: "null-intensity" },
  { kind: "huge-body", bytes: 8 * 1024 * 1024 },
  { kind: "endless-body" },
  { kind: "no-recent-data" }
]

export { type ServiceProcess, spawnService }
