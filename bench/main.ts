/**
 * `npm run bench [-- --quick] [--latency-ms 50] [--jitter-ms 0] [--runs 5] [--out FILE]`
 *
 * Measures the poll cycle against its physical bound ceil(N/C) x L, the local cost per zone, one
 * atomic write, start-up, memory after many polls, requests per poll and the observed request
 * rate under MAX_REQUESTS_PER_SECOND. The simulator runs in a child process so its work does not
 * share the poller's event loop; the poller runs in this process, built from the service's own
 * layers. Prints Markdown tables and writes JSON (default bench/results/latest.json).
 * Nothing here asserts a time: the figures are reported, not judged.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Layer, Option, Schema } from "effect"
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { parseArgs } from "node:util"
import { CacheStore } from "../src/CacheStore.js"
import { DEFAULT_ZONES, VARIABLES } from "../src/Config.js"
import { type CacheFile, LatestCarbonIntensity } from "../src/Domain.js"
import { type FreshReading, nextCache } from "../src/Ranking.js"
import { fixed, meanRate, peakInWindow, show, summarize, type Summary, table } from "./figures.js"
import { BENCH_API_KEY, makePoller, settingsFrom } from "./harness.js"
import {
  bundleHelpers,
  ROOT,
  runJsonChild,
  type SimulatorProcess,
  startSimulatorProcess,
  timeStartup
} from "./processes.js"

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: "boolean", default: false },
    "latency-ms": { type: "string" },
    "jitter-ms": { type: "string" },
    runs: { type: "string" },
    out: { type: "string" }
  }
})

const quick = flags.quick === true
const config = {
  quick,
  latencyMs: Number(flags["latency-ms"] ?? (quick ? 5 : 50)),
  jitterMs: Number(flags["jitter-ms"] ?? 0),
  cycleRuns: Number(flags.runs ?? (quick ? 2 : 5)),
  startupRuns: quick ? 2 : 3,
  zoneCounts: quick ? [5, 50] : [5, 50, 400],
  localPollsPerRun: quick ? 5 : 10,
  writeRuns: quick ? 5 : 21,
  memoryPolls: quick ? 20 : 100,
  memoryZones: quick ? 50 : 400,
  rateLimit: quick ? { zones: 50, perSecond: 20 } : { zones: 400, perSecond: 100 },
  seed: 42
}
const DEFAULT_CONCURRENCY = settingsFrom({}).maxConcurrency
const concurrencies = [...new Set([1, 4, DEFAULT_CONCURRENCY, 16, 64])]
  .filter((c) => !quick || c === 1 || c === 16 || c === DEFAULT_CONCURRENCY)
  .sort((a, b) => a - b)
const outFile = Path.resolve(flags.out ?? Path.join(ROOT, "bench", "results", "latest.json"))

const ALL_ZONES = Object.keys(
  JSON.parse(readFileSync(Path.join(ROOT, "src", "simulator", "zones.json"), "utf8")) as Record<string, unknown>
).sort()
/** N = 5 is the service's default zone list; larger N are the first N keys of the catalogue. */
const zonesFor = (n: number): ReadonlyArray<string> => (n === 5 ? DEFAULT_ZONES.split(",") : ALL_ZONES.slice(0, n))

const scratch = mkdtempSync(Path.join(Os.tmpdir(), "carbon-poller-bench-"))
let scratchCount = 0
const freshCacheFile = () => Path.join(scratch, `run-${++scratchCount}`, "carbon_cache.json")

const log = (line: string) => process.stderr.write(`bench: ${line}\n`)

// ---------------------------------------------------------------------------------------------
// Poll cycle against the bound

interface CycleRow {
  readonly zones: number
  readonly concurrency: number
  readonly boundMillis: number
  readonly cycleMillis: Summary
  readonly ratio: Summary
  readonly requestsPerPoll: Summary
  readonly maxInFlight: number
  readonly failures: number
}

const measureCycle = async (sim: SimulatorProcess, n: number, c: number): Promise<CycleRow> => {
  const zones = zonesFor(n)
  const poller = makePoller(
    settingsFrom({
      ELECTRICITY_MAPS_API_URL: sim.baseUrl,
      CACHE_FILE: freshCacheFile(),
      ZONES: zones.join(","),
      MAX_CONCURRENCY: String(c)
    }),
    NodeHttpClient.layerUndici
  )
  await poller.pollOnce(zones) // warm-up: JIT, connection pool
  const cycles: Array<number> = []
  const requests: Array<number> = []
  let maxInFlight = 0
  let failures = 0
  for (let run = 0; run < config.cycleRuns; run++) {
    await sim.resetStats()
    const before = poller.requests.starts.length
    const started = performance.now()
    const summary = await poller.pollOnce(zones)
    cycles.push(performance.now() - started)
    requests.push(poller.requests.starts.length - before)
    failures += summary.failures.length
    maxInFlight = Math.max(maxInFlight, (await sim.stats()).maxInFlight)
  }
  await poller.dispose()
  const boundMillis = Math.ceil(n / c) * config.latencyMs
  return {
    zones: n,
    concurrency: c,
    boundMillis,
    cycleMillis: summarize(cycles),
    ratio: summarize(cycles.map((ms) => ms / boundMillis)),
    requestsPerPoll: summarize(requests),
    maxInFlight,
    failures
  }
}

// ---------------------------------------------------------------------------------------------
// Local cost: the service's own work per zone, no network (answers served from memory)

const cannedClient = (bodies: ReadonlyMap<string, string>): Layer.Layer<HttpClient.HttpClient> =>
  Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request, url) =>
      Effect.sync(() => {
        const body = bodies.get(url.searchParams.get("zone") ?? "")
        return HttpClientResponse.fromWeb(
          request,
          body === undefined
            ? new Response(`{"error":"Not found"}`, { status: 404, headers: { "content-type": "application/json" } })
            : new Response(body, { status: 200, headers: { "content-type": "application/json" } })
        )
      })
    )
  )

const recordBodies = async (baseUrl: string, zones: ReadonlyArray<string>): Promise<Map<string, string>> => {
  const bodies = new Map<string, string>()
  for (const zone of zones) {
    const response = await fetch(`${baseUrl}/carbon-intensity/latest?zone=${zone}&emissionFactorType=lifecycle`, {
      headers: { "auth-token": BENCH_API_KEY }
    })
    bodies.set(zone, await response.text())
  }
  return bodies
}

interface LocalCost {
  readonly transport: "pure" | "in-memory" | "loopback"
  readonly zones: number
  readonly concurrency: number
  readonly pollsPerRun: number
  readonly zonesPerSecond: Summary
  readonly cpuMicrosPerZone: Summary
}

const measureLocalCost = async (
  transport: LocalCost["transport"],
  http: Layer.Layer<HttpClient.HttpClient>,
  baseUrl: string
): Promise<LocalCost> => {
  const zones = ALL_ZONES
  const poller = makePoller(
    settingsFrom({ ELECTRICITY_MAPS_API_URL: baseUrl, CACHE_FILE: freshCacheFile(), ZONES: zones.join(",") }),
    http
  )
  for (let i = 0; i < 3; i++) await poller.pollOnce(zones)
  const { cpu, rates } = await measureRuns(zones.length, async () => {
    const summary = await poller.pollOnce(zones)
    if (summary.failures.length > 0 || Option.isNone(summary.written)) {
      throw new Error(`local-cost poll failed: ${JSON.stringify(summary.failures.slice(0, 3))}`)
    }
  })
  await poller.dispose()
  return {
    transport,
    zones: zones.length,
    concurrency: DEFAULT_CONCURRENCY,
    pollsPerRun: config.localPollsPerRun,
    zonesPerSecond: summarize(rates),
    cpuMicrosPerZone: summarize(cpu)
  }
}

/** Zones per second and CPU microseconds per zone over `config.cycleRuns` runs of `poll`. */
const measureRuns = async (zonesPerPoll: number, poll: () => Promise<void>) => {
  const rates: Array<number> = []
  const cpu: Array<number> = []
  for (let run = 0; run < config.cycleRuns; run++) {
    const cpuBefore = process.cpuUsage()
    const started = performance.now()
    for (let i = 0; i < config.localPollsPerRun; i++) await poll()
    const elapsed = performance.now() - started
    const used = process.cpuUsage(cpuBefore)
    const processed = zonesPerPoll * config.localPollsPerRun
    rates.push((processed * 1000) / elapsed)
    cpu.push((used.user + used.system) / processed)
  }
  return { rates, cpu }
}

const decodeLatest = Schema.decodeUnknownSync(Schema.parseJson(LatestCarbonIntensity))

/** Decode, rank and write with no HTTP client and no fibers per zone: the work proper. */
const measurePureLocal = async (bodies: ReadonlyMap<string, string>): Promise<LocalCost> => {
  const zones = ALL_ZONES
  const poller = makePoller(
    settingsFrom({
      ELECTRICITY_MAPS_API_URL: "http://127.0.0.1:9/v3",
      CACHE_FILE: freshCacheFile(),
      ZONES: zones.join(",")
    }),
    cannedClient(bodies)
  )
  const once = async () => {
    const fresh: Array<FreshReading> = []
    for (const zone of zones) {
      const reading = decodeLatest(bodies.get(zone))
      if (reading.carbonIntensity !== null) {
        fresh.push({ zone, reading: { ...reading, carbonIntensity: reading.carbonIntensity }, fetchedAt: Date.now() })
      }
    }
    const cache = nextCache({
      configuredZones: zones,
      fresh,
      failures: [],
      previous: undefined,
      now: Date.now(),
      ttlMinutes: 10
    })
    if (cache === undefined) throw new Error("pure local cost: nothing to write")
    await poller.run(Effect.flatMap(CacheStore, (store) => store.write(cache)))
  }
  for (let i = 0; i < 3; i++) await once()
  const { cpu, rates } = await measureRuns(zones.length, once)
  await poller.dispose()
  return {
    transport: "pure",
    zones: zones.length,
    concurrency: 1,
    pollsPerRun: config.localPollsPerRun,
    zonesPerSecond: summarize(rates),
    cpuMicrosPerZone: summarize(cpu)
  }
}

// ---------------------------------------------------------------------------------------------
// One atomic write of a 400-zone cache (render + temp file + write + fsync + chmod + rename)

interface WriteCost {
  readonly zones: number
  readonly bytes: number
  readonly writeMillis: Summary
}

const measureWrite = async (bodies: ReadonlyMap<string, string>): Promise<WriteCost> => {
  const zones = ALL_ZONES
  const poller = makePoller(
    settingsFrom({
      ELECTRICITY_MAPS_API_URL: "http://127.0.0.1:9/v3",
      CACHE_FILE: freshCacheFile(),
      ZONES: zones.join(",")
    }),
    cannedClient(bodies)
  )
  const summary = await poller.pollOnce(zones)
  const cache: CacheFile | undefined = Option.getOrUndefined(summary.written)
  if (cache === undefined) throw new Error("write cost: the 400-zone poll wrote nothing")
  const times: Array<number> = []
  let bytes = 0
  for (let i = 0; i < config.writeRuns; i++) {
    const started = performance.now()
    const contents = await poller.run(Effect.flatMap(CacheStore, (store) => store.write(cache)))
    times.push(performance.now() - started)
    bytes = Buffer.byteLength(contents)
  }
  await poller.dispose()
  return { zones: Object.keys(cache.regions).length, bytes, writeMillis: summarize(times) }
}

// ---------------------------------------------------------------------------------------------
// Request rate under MAX_REQUESTS_PER_SECOND

interface RateLimitFigure {
  readonly zones: number
  readonly concurrency: number
  readonly limitPerSecond: number
  readonly requests: number
  readonly peakInAnyOneSecond: number
  readonly meanPerSecond: number
  readonly pollMillis: number
  readonly unlimitedPeakInAnyOneSecond: number
}

const measureRateLimit = async (sim: SimulatorProcess): Promise<RateLimitFigure> => {
  const zones = zonesFor(config.rateLimit.zones)
  const run = async (limit: number) => {
    const poller = makePoller(
      settingsFrom({
        ELECTRICITY_MAPS_API_URL: sim.baseUrl,
        CACHE_FILE: freshCacheFile(),
        ZONES: zones.join(","),
        MAX_CONCURRENCY: "16",
        MAX_REQUESTS_PER_SECOND: String(limit)
      }),
      NodeHttpClient.layerUndici
    )
    const started = performance.now()
    await poller.pollOnce(zones)
    const pollMillis = performance.now() - started
    const starts = [...poller.requests.starts]
    await poller.dispose()
    return { starts, pollMillis }
  }
  const limited = await run(config.rateLimit.perSecond)
  const unlimited = await run(0)
  return {
    zones: zones.length,
    concurrency: 16,
    limitPerSecond: config.rateLimit.perSecond,
    requests: limited.starts.length,
    peakInAnyOneSecond: peakInWindow(limited.starts),
    meanPerSecond: meanRate(limited.starts),
    pollMillis: limited.pollMillis,
    unlimitedPeakInAnyOneSecond: peakInWindow(unlimited.starts)
  }
}

// ---------------------------------------------------------------------------------------------
// Start-up and memory (child processes)

interface StartupFigure {
  readonly entry: string
  readonly firstCacheMillis: Summary
  readonly exitMillis: Summary
}

/** The service's environment for a child: nothing of the caller's own configuration leaks in. */
const serviceEnv = (sim: SimulatorProcess, cacheFile: string): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !(VARIABLES as ReadonlyArray<string>).includes(name)) env[name] = value
  }
  return {
    ...env,
    ELECTRICITY_MAPS_API_URL: sim.baseUrl,
    ELECTRICITY_MAPS_API_KEY: BENCH_API_KEY,
    CACHE_FILE: cacheFile,
    ZONES: DEFAULT_ZONES,
    HTTP_PORT: "0",
    LOG_FORMAT: "json"
  }
}

const measureStartup = async (sim: SimulatorProcess): Promise<ReadonlyArray<StartupFigure>> => {
  const entries: ReadonlyArray<
    { readonly entry: string; readonly command: string; readonly args: ReadonlyArray<string> }
  > = [
    {
      entry: "node dist/main.js --once",
      command: process.execPath,
      args: [Path.join(ROOT, "dist", "main.js"), "--once"]
    },
    {
      entry: "tsx src/main.ts --once",
      command: Path.join(ROOT, "node_modules", ".bin", "tsx"),
      args: [Path.join(ROOT, "src", "main.ts"), "--once"]
    }
  ]
  const figures: Array<StartupFigure> = []
  for (const { args, command, entry } of entries) {
    const first: Array<number> = []
    const exit: Array<number> = []
    for (let run = 0; run < config.startupRuns + 1; run++) {
      const cacheFile = freshCacheFile()
      const timing = await timeStartup(command, args, serviceEnv(sim, cacheFile), cacheFile)
      if (run === 0) continue // warm the OS file cache; not counted
      first.push(timing.firstCacheMillis)
      exit.push(timing.exitMillis)
    }
    figures.push({ entry, firstCacheMillis: summarize(first), exitMillis: summarize(exit) })
  }
  return figures
}

interface MemorySnapshot {
  readonly rssMiB: number
  readonly heapUsedMiB: number
  readonly heapTotalMiB: number
  readonly externalMiB: number
}
interface MemoryFigure {
  readonly polls: number
  readonly zones: number
  readonly concurrency: number
  readonly failures: number
  readonly requests: number
  readonly atStart: MemorySnapshot
  readonly afterFirst: MemorySnapshot
  readonly afterPolls: MemorySnapshot
  readonly afterGc: MemorySnapshot
}

const measureMemory = async (probe: string, sim: SimulatorProcess): Promise<MemoryFigure> =>
  // The heap ceiling the image and k8s.yaml deploy with (NODE_OPTIONS): without it V8 lets garbage
  // grow the heap long before it collects, and RSS measures that garbage, not the service.
  (await runJsonChild(["--expose-gc", "--max-old-space-size=64", "--max-semi-space-size=1", probe], {
    PROBE_API_URL: sim.baseUrl,
    PROBE_CACHE_FILE: freshCacheFile(),
    PROBE_ZONES: ALL_ZONES.slice(0, config.memoryZones).join(","),
    PROBE_POLLS: String(config.memoryPolls)
  })) as MemoryFigure

// ---------------------------------------------------------------------------------------------

const machine = () => {
  const lscpu = spawnSync("lscpu", { encoding: "utf8" })
  const model = /Model name:\s*(.+)/.exec(lscpu.stdout ?? "")?.[1]?.trim() ?? Os.cpus()[0]?.model ?? "unknown"
  return {
    cpuModel: model,
    cpus: Os.availableParallelism(),
    memoryGiB: fixed(Os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${Os.platform()} ${Os.release()} ${Os.arch()}`
  }
}

const buildService = () => {
  log("npm run build (dist/main.js)")
  const result = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" })
  if (result.status !== 0) throw new Error("npm run build failed")
}

const main = async () => {
  const startedAt = new Date()
  buildService()
  log("bundling the simulator and the memory probe")
  const bundles = await bundleHelpers()
  const simL = await startSimulatorProcess(bundles.simulator, {
    latencyMs: config.latencyMs,
    jitterMs: config.jitterMs,
    seed: config.seed
  })
  const sim0 = await startSimulatorProcess(bundles.simulator, { latencyMs: 0, jitterMs: 0, seed: config.seed })
  try {
    const cycles: Array<CycleRow> = []
    for (const n of config.zoneCounts) {
      for (const c of concurrencies) {
        log(`cycle N=${n} C=${c} L=${config.latencyMs}ms`)
        cycles.push(await measureCycle(simL, n, c))
      }
    }
    log("local cost")
    const bodies = await recordBodies(sim0.baseUrl, ALL_ZONES)
    const localPure = await measurePureLocal(bodies)
    const localInMemory = await measureLocalCost("in-memory", cannedClient(bodies), "http://127.0.0.1:9/v3")
    const localLoopback = await measureLocalCost("loopback", NodeHttpClient.layerUndici, sim0.baseUrl)
    log("write cost")
    const write = await measureWrite(bodies)
    log("request-rate limit")
    const rateLimit = await measureRateLimit(simL)
    log("start-up")
    const startup = await measureStartup(simL)
    log(`memory (${config.memoryPolls} polls of ${config.memoryZones} zones, separate process)`)
    const memory = await measureMemory(bundles.memoryProbe, sim0)
    const result = {
      startedAt: startedAt.toISOString(),
      machine: machine(),
      config: { ...config, concurrencies, defaultConcurrency: DEFAULT_CONCURRENCY },
      cycles,
      localPure,
      localInMemory,
      localLoopback,
      write,
      rateLimit,
      startup,
      memory
    }
    mkdirSync(Path.dirname(outFile), { recursive: true })
    writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`)
    console.log(report(result))
    console.log(`\nJSON written to ${Path.relative(process.cwd(), outFile) || outFile}`)
  } finally {
    await simL.close()
    await sim0.close()
    rmSync(scratch, { recursive: true, force: true })
  }
}

interface Result {
  readonly machine: ReturnType<typeof machine>
  readonly cycles: ReadonlyArray<CycleRow>
  readonly localPure: LocalCost
  readonly localInMemory: LocalCost
  readonly localLoopback: LocalCost
  readonly write: WriteCost
  readonly rateLimit: RateLimitFigure
  readonly startup: ReadonlyArray<StartupFigure>
  readonly memory: MemoryFigure
}

const report = (r: Result): string => {
  const m = r.machine
  const jitter = config.jitterMs > 0 ? ` ± ${config.jitterMs} ms jitter` : ""
  const speedUps = config.zoneCounts.map((n) => {
    const serial = r.cycles.find((row) => row.zones === n && row.concurrency === 1)
    const dflt = r.cycles.find((row) => row.zones === n && row.concurrency === DEFAULT_CONCURRENCY)
    return serial && dflt ? `N=${n}: ${fixed(serial.cycleMillis.median / dflt.cycleMillis.median, 2)}x` : `N=${n}: n/a`
  })
  const cycleTable = table(
    [
      "N zones",
      "C",
      "bound ceil(N/C)×L ms",
      "cycle ms median (min–max)",
      "cycle / bound",
      "requests/poll",
      "max in flight",
      "failed zones"
    ],
    r.cycles.map((row) => [
      String(row.zones),
      row.concurrency === DEFAULT_CONCURRENCY ? `${row.concurrency} (default)` : String(row.concurrency),
      String(row.boundMillis),
      show(row.cycleMillis, 1),
      show(row.ratio, 3),
      show(row.requestsPerPoll),
      String(row.maxInFlight),
      String(row.failures)
    ])
  )
  const local = table(
    ["transport", "zones/s median (min–max)", "CPU µs/zone median (min–max)"],
    [r.localPure, r.localInMemory, r.localLoopback].map((l) => [
      l.transport === "pure"
        ? "decode + rank + write only (no HTTP client, no fiber per zone)"
        : l.transport === "in-memory"
        ? "whole poll, answers from memory (client, retry, timeout, decode, metrics, rank, write)"
        : "whole poll over loopback HTTP, simulator at 0 ms",
      show(l.zonesPerSecond),
      show(l.cpuMicrosPerZone, 1)
    ])
  )
  const startup = table(
    ["entry point", "start → first cache ms", "start → exit ms"],
    r.startup.map((s) => [s.entry, show(s.firstCacheMillis), show(s.exitMillis)])
  )
  const mem = r.memory
  const rl = r.rateLimit
  return [
    `Machine: ${m.cpuModel}, ${m.cpus} CPUs, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}`,
    `Latency L = ${config.latencyMs} ms${jitter}; ${config.cycleRuns} runs per figure after one warm-up poll (median (min–max)).`,
    "",
    "Poll cycle against the bound",
    "",
    cycleTable,
    "",
    `Speed-up of the default concurrency (C=${DEFAULT_CONCURRENCY}) over C=1: ${speedUps.join(", ")}`,
    "",
    `Local cost, ${r.localInMemory.zones} zones per poll, C=${DEFAULT_CONCURRENCY}, ${r.localInMemory.pollsPerRun} polls per run; CPU is this process only (the simulator runs in its own)`,
    "",
    local,
    "",
    `Write: one atomic write of a ${r.write.zones}-zone cache (${r.write.bytes} bytes; render, temp file, write, fsync, chmod, rename): ${
      show(r.write.writeMillis, 2)
    } ms over ${r.write.writeMillis.runs} writes`,
    "",
    `Start-up (simulator at L = ${config.latencyMs} ms; the 5 default zones; ${config.startupRuns} runs after one unmeasured)`,
    "",
    startup,
    "",
    `Memory after ${mem.polls} polls of ${mem.zones} zones (C=${mem.concurrency}, separate process, bundled, ${mem.failures} failed fetches, ${mem.requests} requests):`,
    `RSS ${mem.afterPolls.rssMiB} MiB, heap used ${mem.afterPolls.heapUsedMiB} MiB (heap total ${mem.afterPolls.heapTotalMiB} MiB); after a forced GC RSS ${mem.afterGc.rssMiB} MiB, heap used ${mem.afterGc.heapUsedMiB} MiB; before the first poll RSS ${mem.atStart.rssMiB} MiB, after it ${mem.afterFirst.rssMiB} MiB`,
    "",
    `Request-rate limit: MAX_REQUESTS_PER_SECOND=${rl.limitPerSecond}, ${rl.zones} zones at C=${rl.concurrency}: ${rl.requests} requests in ${
      fixed(rl.pollMillis, 0)
    } ms; peak in any 1 s window ${rl.peakInAnyOneSecond}, mean ${
      fixed(rl.meanPerSecond, 1)
    }/s (without the limit: peak ${rl.unlimitedPeakInAnyOneSecond} in 1 s)`
  ].join("\n")
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
