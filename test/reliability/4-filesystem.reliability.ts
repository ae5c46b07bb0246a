/**
 * Scenario 4: filesystem faults. The target directory missing, not writable, read-only, and a
 * full disk, for real (a small tmpfs) and through a failing `FileSystem` layer: a clear error, the
 * previous file intact, tried again next poll, no temporary files piling up.
 */
import type { Error as PlatformError } from "@effect/platform"
import { Effect, Option } from "effect"
import { execFileSync } from "node:child_process"
import { chmodSync, chownSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Poller } from "../../src/poll/Poller.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import { makeHarness } from "../support/harness.js"
import type { Operation } from "../support/MemoryFileSystem.js"
import {
  baseEnv,
  logLines,
  pollLines,
  record,
  type ServiceProcess,
  spawnService,
  stop,
  tempDir,
  tempFilesIn,
  waitUntil
} from "./support.js"

const NOBODY = 65534
/** The harness's default `CACHE_FILE` (test/support/settings.ts). */
const TARGET = "/cache/carbon_cache.json"
let simulator: Simulator.RunningSimulator
beforeAll(async () => {
  simulator = await Simulator.startSimulator({ port: 0, seed: 41 })
})
afterAll(async () => {
  await simulator.close()
})

const env = (cacheFile: string, zones = "DE,FR,SE") =>
  baseEnv(simulator.baseUrl, cacheFile, { ZONES: zones, POLL_INTERVAL_MINUTES: "0.005" })

/** `cannot write cache X (create temporary file): ... EACCES: ...` -> `create temporary file: EACCES`. */
const summarizeWriteError = (message: string) => {
  const match = /\(([^)]+)\): .*?\b(E[A-Z]{2,})\b/.exec(message)
  return match ? `${match[1]}: ${match[2]}` : message.slice(0, 80)
}

const writeErrors = (service: ServiceProcess) =>
  logLines(service).filter((l) => l.logLevel === "ERROR" && l.message.startsWith("cannot write cache"))

/** Waits for `n` failed writes, checks the previous file and the temp files, then lets it recover. */
const failThenRecover = async (options: {
  readonly scenario: string
  readonly dir: string
  readonly cacheFile: string
  readonly service: ServiceProcess
  readonly expected: RegExp
  readonly repair: () => void
}) => {
  const previous = readFileSync(options.cacheFile, "utf8")
  const failedAt = writeErrors(options.service).length
  expect(await waitUntil(() => writeErrors(options.service).length >= failedAt + 3, 20_000)).toBe(true)
  const errors = writeErrors(options.service).slice(failedAt)
  const intact = readFileSync(options.cacheFile, "utf8") === previous
  const temps = tempFilesIn(options.dir)
  options.repair()
  const recoveredFrom = pollLines(options.service).length
  const recovered = await waitUntil(
    () => pollLines(options.service).slice(recoveredFrom).some((l) => l.message.includes("cache written")),
    15_000
  )
  const alive = options.service.child.exitCode === null
  record({
    scenario: options.scenario,
    runs: errors.length,
    failures: (intact ? 0 : 1) + temps.length + (recovered ? 0 : 1) + (alive ? 0 : 1),
    figures: `${errors.length} failed writes logged as "${
      summarizeWriteError(errors[0]?.message ?? "")
    }", previous file intact ${intact}, temp files ${temps.length}, written again once repaired ${recovered}`
  })
  expect(errors[0]?.message).toMatch(options.expected)
  expect(errors[0]?.message).toMatch(/previous file is left as it was/)
  expect(intact).toBe(true)
  expect(temps).toEqual([])
  expect(recovered).toBe(true)
  expect(alive).toBe(true)
}

const tryMount = (dir: string, options: string): boolean => {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

describe("4. filesystem faults", () => {
  it("creates a missing target directory, the file mode 0644, and again when it is removed while running", async () => {
    const root = tempDir("missing")
    const cacheFile = join(root, "not", "yet", "there", "carbon_cache.json")
    const service = spawnService(env(cacheFile))
    const written = await waitUntil(() => existsSync(cacheFile), 15_000)
    const mode = written ? statSync(cacheFile).mode & 0o777 : 0
    // The volume is wiped under the running service: the next poll recreates the directory.
    rmSync(join(root, "not"), { recursive: true, force: true })
    const rewritten = await waitUntil(() => existsSync(cacheFile), 15_000)
    const alive = service.child.exitCode === null
    expect(await stop(service, cacheFile)).toBe(0)
    const broken = [
      written ? [] : ["not created"],
      mode === 0o644 ? [] : [`mode ${mode.toString(8)}`],
      rewritten ? [] : ["not recreated"],
      alive ? [] : ["exited"]
    ].flat()
    record({
      scenario: "4 directory missing",
      runs: 2,
      failures: broken.length,
      figures: `created at start and again after rm -r while running, mode ${mode.toString(8)}${
        broken.length > 0 ? `; BROKE: ${broken.join(", ")}` : ""
      }`
    })
    expect(broken).toEqual([])
  })

  it("survives a directory it may not write to (running as nobody)", async () => {
    const dir = tempDir("perm")
    chmodSync(dir, 0o755)
    const cacheFile = join(dir, "carbon_cache.json")
    writeFileSync(cacheFile, JSON.stringify({ previous: true }), { mode: 0o644 })
    const service = spawnService(env(cacheFile), [], { uid: NOBODY, gid: NOBODY })
    try {
      await failThenRecover({
        scenario: "4 directory not writable",
        dir,
        cacheFile,
        service,
        expected: /create temporary file.*(EACCES|permission denied)/i,
        repair: () => chownSync(dir, NOBODY, NOBODY)
      })
    } finally {
      expect(await stop(service, cacheFile)).toBe(0)
    }
  })

  it("survives a read-only filesystem", async (context) => {
    const dir = tempDir("ro")
    if (!tryMount(dir, "size=1m")) {
      record({ scenario: "4 read-only filesystem", runs: 0, failures: 0, figures: "skipped: mount refused here" })
      context.skip()
    }
    const cacheFile = join(dir, "carbon_cache.json")
    const service = spawnService(env(cacheFile))
    try {
      expect(await waitUntil(() => pollLines(service).length >= 1, 15_000)).toBe(true)
      execFileSync("mount", ["-o", "remount,ro", dir])
      await failThenRecover({
        scenario: "4 read-only filesystem",
        dir,
        cacheFile,
        service,
        expected: /EROFS|read-only/i,
        repair: () => execFileSync("mount", ["-o", "remount,rw", dir])
      })
    } finally {
      expect(await stop(service, cacheFile)).toBe(0)
      execFileSync("umount", [dir])
    }
  })

  it("survives a full disk (a 64 KiB tmpfs filled up)", async (context) => {
    const dir = tempDir("full")
    if (!tryMount(dir, "size=64k")) {
      record({ scenario: "4 disk full (tmpfs)", runs: 0, failures: 0, figures: "skipped: mount refused here" })
      context.skip()
    }
    const cacheFile = join(dir, "carbon_cache.json")
    const zones = Object.keys(JSON.parse(readFileSync("src/simulator/zones.json", "utf8")) as Record<string, unknown>)
      .slice(0, 20)
    const service = spawnService(env(cacheFile, zones.join(",")))
    const filler = join(dir, "filler")
    try {
      expect(await waitUntil(() => pollLines(service).length >= 1, 15_000)).toBe(true)
      try {
        execFileSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=1k", "count=1024"], { stdio: "ignore" })
      } catch {
        // dd stops with ENOSPC once the disk is full, which is the point
      }
      await failThenRecover({
        scenario: "4 disk full (tmpfs)",
        dir,
        cacheFile,
        service,
        expected: /ENOSPC|no space/i,
        repair: () => rmSync(filler)
      })
    } finally {
      expect(await stop(service, cacheFile)).toBe(0)
      execFileSync("umount", [dir])
    }
  })

  it("survives ENOSPC (and every other failing step) through a failing FileSystem layer, in-process", async () => {
    const steps: ReadonlyArray<
      {
        readonly operation: Operation
        readonly reason: PlatformError.SystemErrorReason
        readonly description: string
        readonly step: RegExp
      }
    > = [
      {
        operation: "writeAll",
        reason: "Unknown",
        description: "ENOSPC: no space left on device, write",
        step: /\(write\).*ENOSPC/
      },
      {
        operation: "open",
        reason: "Unknown",
        description: "ENOSPC: no space left on device, open",
        step: /\(create temporary file\).*ENOSPC/
      },
      { operation: "sync", reason: "Unknown", description: "EIO: i/o error, fsync", step: /\(flush to disk\).*EIO/ },
      {
        operation: "chmod",
        reason: "PermissionDenied",
        description: "EPERM: operation not permitted, chmod",
        step: /\(set mode 0644\).*EPERM/
      },
      {
        operation: "rename",
        reason: "Unknown",
        description: "ENOSPC: no space left on device, rename",
        step: /\(rename over target\).*ENOSPC/
      },
      {
        operation: "makeDirectory",
        reason: "PermissionDenied",
        description: "EACCES: permission denied, mkdir",
        step: /\(create directory\).*EACCES/
      }
    ]
    const broken: Array<string> = []
    let tempsCreated = 0
    for (const failing of steps) {
      const h = makeHarness({
        api: { intensities: { DE: 300, FR: 50 } },
        settings: { zones: ["DE", "FR"] },
        fs: { files: { [TARGET]: "previous" } }
      })
      h.memory.setFailure(failing.operation, { reason: failing.reason, description: failing.description })
      const outcomes = await Effect.runPromise(
        h.run(
          Effect.gen(function*() {
            const poller = yield* Poller
            const failed = [yield* poller.pollOnce(["DE", "FR"]), yield* poller.pollOnce(["DE", "FR"])]
            const duringFailure = h.memory.read(TARGET)
            const tempsDuringFailure = h.memory.paths().filter((p) => p.includes(".tmp-"))
            h.memory.setFailure(failing.operation, undefined)
            return { failed, duringFailure, tempsDuringFailure, recovered: yield* poller.pollOnce(["DE", "FR"]) }
          })
        )
      )
      tempsCreated += h.memory.everCreated().length
      const errors = h.logLines.filter((l) => l.includes("cannot write cache"))
      if (!outcomes.failed.every((s) => Option.isNone(s.written))) {
        broken.push(`${failing.operation}: a failed write reported as written`)
      }
      if (outcomes.duringFailure !== "previous") broken.push(`${failing.operation}: previous file not intact`)
      if (outcomes.tempsDuringFailure.length > 0) {
        broken.push(`${failing.operation}: temp files left ${outcomes.tempsDuringFailure.join(",")}`)
      }
      if (errors.length !== 2) broken.push(`${failing.operation}: ${errors.length} error lines for 2 failed writes`)
      if (!errors.every((l) => failing.step.test(l) && l.includes("previous file is left as it was"))) {
        broken.push(`${failing.operation}: unclear error ${errors[0]?.slice(0, 200) ?? ""}`)
      }
      if (Option.isNone(outcomes.recovered.written)) broken.push(`${failing.operation}: not written once repaired`)
    }
    record({
      scenario: "4 failing FileSystem layer (ENOSPC, EIO, ...)",
      runs: steps.length * 3,
      failures: broken.length,
      figures: `each of ${
        steps.map((s) => s.operation).join(", ")
      } failing twice then repaired: previous file intact, error names the step and the cause, ${tempsCreated} temp files created, 0 left, written once repaired${
        broken.length > 0 ? `; BROKE: ${broken.slice(0, 3).join(" | ")}` : ""
      }`
    })
    expect(broken).toEqual([])
  })
})
