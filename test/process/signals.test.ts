/**
 * The compiled service as a process, against the simulator: what each signal does (SIGUSR1 never
 * opens the inspector, SIGHUP stops it like SIGTERM, the others are logged and ignored), `--once`
 * interrupted before it wrote, and a stdout whose reader went away.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setTimeout as delay } from "node:timers/promises"
import { afterAll, afterEach, beforeAll } from "vitest"
import * as Simulator from "../../src/simulator/Simulator.js"
import { type ServiceProcess, spawnService, waitForFile } from "../support/processes.js"

const KEY = "signals-test-key-0c4d7e21"
let simulator: Simulator.RunningSimulator

beforeAll(async () => {
  simulator = await Simulator.startSimulator({ port: 0, seed: 5 })
})
afterAll(async () => {
  await simulator.close()
})

/** Every process a test started; one a failed test left running is killed. */
const spawned: Array<ServiceProcess> = []
afterEach(() => {
  for (const service of spawned.splice(0)) {
    if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill("SIGKILL")
  }
})

const spawn = (...args: Parameters<typeof spawnService>) => {
  const service = spawnService(...args)
  spawned.push(service)
  return service
}

const tempCacheFile = () => join(mkdtempSync(join(tmpdir(), "carbon-poller-sig-")), "cache", "carbon_cache.json")

const serviceEnv = (cacheFile: string, extra: Record<string, string> = {}) => ({
  ELECTRICITY_MAPS_API_KEY: KEY,
  ELECTRICITY_MAPS_API_URL: simulator.baseUrl,
  CACHE_FILE: cacheFile,
  ZONES: "DE,FR",
  POLL_INTERVAL_MINUTES: "0.01",
  HTTP_PORT: "0",
  LOG_FORMAT: "json",
  ...extra
})

/** Waits for a condition on a process's output; there is no clock to drive here, only a deadline. */
const waitFor = async (condition: () => boolean, deadlineMillis: number): Promise<boolean> => {
  const until = performance.now() + deadlineMillis
  while (performance.now() < until) {
    if (condition()) return true
    await delay(20)
  }
  return condition()
}

/** The TCP ports a process listens on, from its socket descriptors and the kernel's socket tables. */
const listeningPorts = (pid: number): Array<number> => {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (match?.[1] !== undefined) inodes.add(match[1])
    } catch {
      // closed while listing
    }
  }
  const ports: Array<number> = []
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const columns = line.trim().split(/\s+/)
      const [local, state, inode] = [columns[1], columns[3], columns[9]]
      if (state === "0A" && inode !== undefined && inodes.has(inode) && local !== undefined) {
        ports.push(parseInt(local.split(":")[1] ?? "0", 16))
      }
    }
  }
  return ports
}

const logLine = (service: ServiceProcess, pattern: RegExp) =>
  service.stdout().split("\n").find((line) => pattern.test(line))

const started = async (cacheFile: string, extra: Record<string, string> = {}) => {
  const service = spawn(serviceEnv(cacheFile, extra))
  assert.isTrue(await waitForFile(cacheFile, 15_000), service.stderr())
  return service
}

describe("signals", () => {
  it("SIGUSR1 opens no debugger port: it is logged and ignored, and the service keeps serving", async () => {
    const cacheFile = tempCacheFile()
    const service = await started(cacheFile, { HTTP_PORT: "0" })
    const pid = service.child.pid!
    const before = listeningPorts(pid)
    service.child.kill("SIGUSR1")
    assert.isTrue(await waitFor(() => logLine(service, /SIGUSR1 received and ignored/) !== undefined, 10_000))
    // Node prints this line when its inspector starts listening.
    assert.notInclude(service.stderr(), "Debugger listening")
    assert.deepStrictEqual(listeningPorts(pid), before)
    assert.notInclude(listeningPorts(pid), 9229)
    // Still polling: the file is replaced again after the signal.
    const inode = statSync(cacheFile).ino
    assert.isTrue(await waitFor(() => statSync(cacheFile).ino !== inode, 10_000))
    service.child.kill("SIGTERM")
    assert.strictEqual(await service.exited(10_000), 0)
  })

  it("SIGUSR2, SIGALRM and SIGVTALRM are logged and ignored, never the end of the process", async () => {
    const service = await started(tempCacheFile())
    for (const signal of ["SIGUSR2", "SIGALRM", "SIGVTALRM"] as const) {
      service.child.kill(signal)
      assert.isTrue(
        await waitFor(() => logLine(service, new RegExp(`${signal} received and ignored`)) !== undefined, 10_000),
        `${signal}: ${service.stderr()}`
      )
    }
    assert.isNull(service.child.exitCode)
    assert.isNull(service.child.signalCode)
    service.child.kill("SIGTERM")
    assert.strictEqual(await service.exited(10_000), 0)
  })

  it("SIGHUP stops the service like SIGTERM: exit 0, a log line, no temporary file left", async () => {
    const cacheFile = tempCacheFile()
    const service = await started(cacheFile)
    service.child.kill("SIGHUP")
    assert.strictEqual(await service.exited(10_000), 0, service.stderr())
    const line = logLine(service, /SIGHUP received: stopped/)
    assert.isDefined(line)
    assert.include(line, "handled like SIGTERM")
    assert.deepStrictEqual(readdirSync(join(cacheFile, "..")), ["carbon_cache.json"])
  })

  it("SIGTERM still stops the service with exit 0, and says so", async () => {
    const service = await started(tempCacheFile())
    service.child.kill("SIGTERM")
    assert.strictEqual(await service.exited(10_000), 0)
    assert.isDefined(logLine(service, /SIGTERM received: stopped/))
  })
})

describe("--once interrupted", () => {
  it("exits 5 with a log line when a signal stops it before it wrote a cache", async () => {
    await simulator.addFault({ zone: "FR", fault: { kind: "hang" } })
    try {
      const cacheFile = tempCacheFile()
      const service = spawn(serviceEnv(cacheFile, { REQUEST_TIMEOUT_SECONDS: "60" }), ["--once"])
      await simulator.resetStats()
      const inFlight = simulator.handle.awaitStats((s) => (s.byZone["FR"] ?? 0) > 0)
      await Effect.runPromise(Effect.timeout(inFlight, "15 seconds"))
      service.child.kill("SIGTERM")
      assert.strictEqual(await service.exited(10_000), 5, service.stderr())
      assert.isFalse(existsSync(cacheFile))
      const line = logLine(service, /--once interrupted by SIGTERM/)
      assert.isDefined(line)
      assert.include(line, "\"logLevel\":\"ERROR\"")
    } finally {
      await simulator.clearFaults()
    }
  })
})

describe("a broken stdout", () => {
  it("never ends the service: with the reader of its stdout gone, it keeps writing the cache", async () => {
    const cacheFile = tempCacheFile()
    const service = await started(cacheFile)
    // The log shipper goes away: the read end of the pipe is closed, so every write gets EPIPE.
    service.child.stdout?.destroy()
    const inodes = new Set<number>()
    const replaced = await waitFor(() => {
      inodes.add(statSync(cacheFile).ino)
      return inodes.size >= 4
    }, 20_000)
    assert.isTrue(replaced, `the cache stopped being written: ${service.stderr()}`)
    assert.isNull(service.child.exitCode, service.stderr())
    assert.match(service.stderr(), /stdout is closed \(EPIPE\)/)
    service.child.kill("SIGTERM")
    assert.strictEqual(await service.exited(10_000), 0, service.stderr())
  })
})
