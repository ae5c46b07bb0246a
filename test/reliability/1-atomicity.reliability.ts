/**
 * Scenario 1: atomicity under SIGKILL. A separate reader process parses the cache continuously
 * while the service writes several times a second and is SIGKILLed and restarted at random
 * moments. No read may ever see a partial, empty or unparsable file.
 */
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { setTimeout as delay } from "node:timers/promises"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Simulator from "../../src/simulator/Simulator.js"
import { baseEnv, keepEmitted, record, spawnService, stop, tempDir, tempFilesIn, waitUntil } from "./support.js"

const ZONES = Object.keys(JSON.parse(readFileSync("src/simulator/zones.json", "utf8")) as Record<string, unknown>)
  .slice(0, 60)
const KILLS = 20
const MIN_READS = 10_000

/** Reads and parses the file as fast as it can; on SIGTERM prints its counts. */
const READER = `
const fs = require("node:fs")
const file = process.argv[1]
let reads = 0, failures = 0, absent = 0, seenOnce = false
const examples = []
function batch() {
  for (let i = 0; i < 200; i++) {
    let text
    try { text = fs.readFileSync(file, "utf8") } catch (e) {
      if (e.code === "ENOENT" && !seenOnce) { absent++; continue }
      failures++; if (examples.length < 3) examples.push(String(e)); continue
    }
    reads++
    if (reads % 1000 === 0) process.stderr.write("reads " + reads + "\\n")
    try {
      const value = JSON.parse(text)
      if (!value || !Array.isArray(value.sorted_by_carbon) || value.sorted_by_carbon.length === 0) throw new Error("incomplete cache")
      seenOnce = true
    } catch (e) { failures++; if (examples.length < 3) examples.push(String(e) + " len=" + text.length) }
  }
  setImmediate(batch)
}
process.on("SIGTERM", () => { process.stdout.write(JSON.stringify({ reads, failures, absent, examples })); process.exit(0) })
batch()
`

let simulator: Simulator.RunningSimulator
beforeAll(async () => {
  simulator = await Simulator.startSimulator({ port: 0, seed: 11 })
})
afterAll(async () => {
  await simulator.close()
})

describe("1. atomicity under SIGKILL", () => {
  it(`never lets a reader see a partial file across ${KILLS} SIGKILLs`, async () => {
    const dir = tempDir("atomic")
    const cacheFile = join(dir, "carbon_cache.json")
    const env = baseEnv(simulator.baseUrl, cacheFile, {
      ZONES: ZONES.join(","),
      POLL_INTERVAL_MINUTES: "0.002",
      MAX_CONCURRENCY: "16"
    })
    const reader = spawn(process.execPath, ["-e", READER, cacheFile], { stdio: ["ignore", "pipe", "pipe"] })
    const readerExited = new Promise((resolve) => reader.on("exit", resolve))
    let readerOutput = ""
    let readerProgress = 0
    reader.stdout.on("data", (chunk: Buffer) => (readerOutput += chunk.toString()))
    reader.stderr.on("data", (chunk: Buffer) => {
      const last = /reads (\d+)\n$/.exec(chunk.toString())
      if (last) readerProgress = Number(last[1])
    })

    let killed = 0
    let killedWhileWriting = 0
    let leftoversSeen = 0
    for (let i = 0; i < KILLS; i++) {
      const service = spawnService(env)
      // A random moment while it writes: once this life has written, within its next few polls
      // (a 60-zone file every 0.12 s); a life that never wrote is killed after the same wait.
      const wrote = await waitUntil(() => service.stdout().includes("\"event\":\"poll\""), 10_000, 5)
      await delay(Math.floor(Math.random() * 400))
      service.child.kill("SIGKILL")
      await service.exited(5_000)
      keepEmitted(service.stdout(), service.stderr())
      killed++
      if (wrote) killedWhileWriting++
      leftoversSeen += tempFilesIn(dir).length
    }

    // SIGTERM at random moments: exit 0 within 2 s (docs/operations.md), no temporary file left.
    const TERMS = 5
    const termProblems: Array<string> = []
    let slowestStopMillis = 0
    for (let i = 0; i < TERMS; i++) {
      const service = spawnService(env)
      await waitUntil(() => service.stdout().includes("\"event\":\"poll\""), 10_000, 5)
      await delay(Math.floor(Math.random() * 400))
      const stoppingAt = performance.now()
      const code = await stop(service)
      const millis = performance.now() - stoppingAt
      slowestStopMillis = Math.max(slowestStopMillis, millis)
      if (code !== 0) termProblems.push(`SIGTERM ${i + 1}: exit ${code}`)
      if (millis > 2_000) termProblems.push(`SIGTERM ${i + 1}: took ${millis.toFixed(0)} ms`)
      const temps = tempFilesIn(dir)
      if (temps.length > 0) termProblems.push(`SIGTERM ${i + 1}: left ${temps.join(", ")}`)
    }

    // A clean run at the end: the start-up sweep removes what the kills left, SIGTERM leaves nothing.
    const last = spawnService(env)
    const wroteAgain = await waitUntil(() => last.stdout().includes("\"event\":\"poll\""), 15_000)
    // The reader keeps going against the live service until it has done its share.
    await waitUntil(() => readerProgress >= MIN_READS, 120_000, 100)
    const exitCode = await stop(last, cacheFile)
    const leftAtEnd = tempFilesIn(dir)

    reader.kill("SIGTERM")
    await readerExited
    const counts = JSON.parse(readerOutput) as {
      reads: number
      failures: number
      absent: number
      examples: Array<string>
    }

    record({
      scenario: "1 atomicity under SIGKILL",
      runs: killed + TERMS,
      failures: counts.failures + (exitCode === 0 ? 0 : 1) + leftAtEnd.length + termProblems.length,
      figures:
        `${counts.reads} reads by a separate process, ${counts.failures} partial/empty/unparsable; ${killed} SIGKILLs (${killedWhileWriting} while writing 60-zone files every 0.12 s), temp files seen after kills ${leftoversSeen}; ${TERMS} SIGTERMs: exit 0, slowest ${
          slowestStopMillis.toFixed(0)
        } ms; temp files at end ${leftAtEnd.length}${
          termProblems.length > 0 ? `; BROKE: ${termProblems.join(" | ")}` : ""
        }`
    })
    expect(counts.examples).toEqual([])
    expect(counts.failures).toBe(0)
    expect(counts.reads).toBeGreaterThanOrEqual(MIN_READS)
    expect(wroteAgain).toBe(true)
    expect(exitCode).toBe(0)
    expect(leftAtEnd).toEqual([])
    expect(termProblems).toEqual([])
    expect(killedWhileWriting).toBeGreaterThanOrEqual(KILLS - 2)
  })
})
