/**
 * Child processes of the bench: the simulator (so its CPU and event loop are not the poller's),
 * the memory probe, and the service's own entry points for the start-up figure.
 */
import { build } from "esbuild"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdirSync, watch } from "node:fs"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import type { SimulatorStats } from "../src/simulator/Simulator.js"

export const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")
export const BUILD_DIR = Path.join(ROOT, "bench", "results", "build")

const BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"

/** Bundles the simulator CLI and the memory probe the way `npm run build` bundles the service. */
export const bundleHelpers = async (): Promise<{ readonly simulator: string; readonly memoryProbe: string }> => {
  mkdirSync(BUILD_DIR, { recursive: true })
  const simulator = Path.join(BUILD_DIR, "simulator.js")
  const memoryProbe = Path.join(BUILD_DIR, "memory-probe.js")
  const common = {
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    banner: { js: BANNER },
    logLevel: "warning"
  } as const
  await build({ ...common, entryPoints: [Path.join(ROOT, "src", "simulator", "main.ts")], outfile: simulator })
  await build({ ...common, entryPoints: [Path.join(ROOT, "bench", "memory-probe.ts")], outfile: memoryProbe })
  return { simulator, memoryProbe }
}

export interface SimulatorProcess {
  readonly baseUrl: string
  readonly origin: string
  readonly stats: () => Promise<SimulatorStats>
  readonly resetStats: () => Promise<void>
  readonly close: () => Promise<void>
}

/** Starts the bundled simulator CLI on a free port and waits for its one "listening" line. */
export const startSimulatorProcess = (
  bundle: string,
  options: { readonly latencyMs: number; readonly jitterMs: number; readonly seed: number }
): Promise<SimulatorProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        bundle,
        "--port",
        "0",
        "--seed",
        String(options.seed),
        "--latency-ms",
        String(options.latencyMs),
        "--jitter-ms",
        String(options.jitterMs)
      ],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`simulator exited early (code ${code})`)))
    const lines = createInterface({ input: child.stdout })
    lines.once("line", (line) => {
      const match = /listening on (http:\/\/\S+)\/v3/.exec(line)
      if (match?.[1] === undefined) return reject(new Error(`unexpected simulator output: ${line}`))
      const origin = match[1]
      child.removeAllListeners("exit")
      resolve({
        baseUrl: `${origin}/v3`,
        origin,
        stats: async () => (await (await fetch(`${origin}/__simulator/stats`)).json()) as SimulatorStats,
        resetStats: async () => {
          await (await fetch(`${origin}/__simulator/stats`, { method: "DELETE" })).arrayBuffer()
        },
        close: () => stop(child)
      })
    })
  })

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })

export interface StartupTiming {
  /** Spawn to the cache file's appearance (rename over the target). */
  readonly firstCacheMillis: number
  /** Spawn to process exit. */
  readonly exitMillis: number
  readonly exitCode: number | null
}

/**
 * Spawns a `--once` command and times it from just before `spawn` to the cache file's appearance
 * (a directory watch sees the rename) and to its exit.
 */
export const timeStartup = (
  command: string,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>,
  cacheFile: string
): Promise<StartupTiming> =>
  new Promise((resolve, reject) => {
    const directory = Path.dirname(cacheFile)
    const name = Path.basename(cacheFile)
    mkdirSync(directory, { recursive: true })
    let firstCache: number | undefined
    const started = performance.now()
    const watcher = watch(directory, (_event, file) => {
      if (firstCache === undefined && file === name && existsSync(cacheFile)) firstCache = performance.now() - started
    })
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"]
    })
    let stderr = ""
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.once("error", (error) => {
      watcher.close()
      reject(error)
    })
    child.once("exit", (code) => {
      const exitMillis = performance.now() - started
      watcher.close()
      if (firstCache === undefined && existsSync(cacheFile)) firstCache = exitMillis
      if (code !== 0 || firstCache === undefined) {
        return reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr.slice(0, 500)}`))
      }
      resolve({ firstCacheMillis: firstCache, exitMillis, exitCode: code })
    })
  })

/** Runs a node script to completion and parses the last line of its stdout as JSON. */
export const runJsonChild = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>> = {}
): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let stdout = ""
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.once("error", reject)
    child.once("exit", (code) => {
      const last = stdout.trim().split("\n").pop() ?? ""
      if (code !== 0) return reject(new Error(`${args.join(" ")} exited ${code}`))
      try {
        resolve(JSON.parse(last))
      } catch (error) {
        reject(new Error(`cannot parse child output: ${last.slice(0, 200)} (${String(error)})`))
      }
    })
  })
