/**
 * Spawning the compiled service (dist/main.js, built by test/globalSetup.ts) as a child process,
 * the way the container runs it, with a clean environment of our choosing.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { setTimeout as delay } from "node:timers/promises"

export interface ServiceProcess {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the exit code (or the signal name), or "timeout" after `deadlineMillis`. */
  readonly exited: (deadlineMillis: number) => Promise<number | string>
}

export const spawnService = (
  env: Readonly<Record<string, string>>,
  args: ReadonlyArray<string> = [],
  options: { readonly uid?: number; readonly gid?: number } = {}
): ServiceProcess => {
  const child = spawn(process.execPath, [`${process.cwd()}/dist/main.js`, ...args], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    ...options
  })
  let out = ""
  let err = ""
  child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()))
  child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()))
  const exit = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown"))
  )
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: (deadlineMillis) =>
      Promise.race([exit, delay(deadlineMillis).then(() => "timeout")]).then((result) => {
        if (result === "timeout") child.kill("SIGKILL")
        return result
      })
  }
}

/** Waits for a file another process writes; there is no clock to drive here, only a deadline. */
export const waitForFile = async (path: string, deadlineMillis: number): Promise<boolean> => {
  const until = performance.now() + deadlineMillis
  while (performance.now() < until) {
    if (existsSync(path)) return true
    await delay(20)
  }
  return false
}
