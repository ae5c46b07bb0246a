/**
 * `npm run bench [-- --quick] [--runs N] [--memory-polls N] [--poll-interval-minutes M] [--out FILE]`
 * `npm run bench -- --read-api-only [--read-seconds S]` (only the read API's figures)
 *
 * Whole-process figures of the compiled service (`npm run build`, then `node dist/main.js`), each
 * beside two plain-Node pollers that this same invocation runs as yardsticks (bench/baseline.mjs over
 * fetch and over node:http). Every subject is driven through its command line and environment only,
 * against an Electricity Maps stand-in in a separate process (bench/standin.mjs), so neither the
 * stand-in's work nor the bench's shares the measured process. Prints one Markdown table with the
 * targets and writes JSON (default bench/results/latest.json). Nothing here fails on a figure: the
 * targets are printed as met or missed, never asserted.
 *
 * Figures (medians of the runs):
 *   start-up      `--once` of 1 zone at zero latency: wall from spawn to exit, peak RSS (the kernel's
 *                 ru_maxrss of the process, reported at exit by bench/report-usage.mjs)
 *   cycle         `--once` of 400 zones at C=16 with every answer delayed L=50 ms: from the stand-in
 *                 receiving the first zone request to the cache file's rename, as a multiple of
 *                 the bound ceil(N/C)·L; again beside a CPU hog (`node -e 'for(;;);'`)
 *   CPU per zone  (CPU of a 400-zone `--once` − CPU of a 1-zone `--once`) / 399, zero latency
 *   memory        VmRSS of the long-running process after P polls of 400 zones (counted at the
 *                 stand-in), with the image's NODE_OPTIONS and a tiny POLL_INTERVAL_MINUTES
 *   read API      the long-running service's `/v4/carbon-intensity/latest` under K keep-alive
 *                 connections (bench/readload.mjs, its own process) beside a plain node:http server
 *                 answering the same bytes (bench/plainserver.mjs), as requests per second and
 *                 their ratio; and meanwhile the gaps between its cache writes (polls every few
 *                 seconds) and the latency of `/readyz`, idle and under that load
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { createInterface } from "node:readline"
import { fileURLToPath, pathToFileURL } from "node:url"
import { parseArgs } from "node:util"

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")
const BENCH = Path.join(ROOT, "bench")

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: "boolean", default: false },
    runs: { type: "string" },
    "memory-polls": { type: "string" },
    "poll-interval-minutes": { type: "string", default: "0.002" },
    "read-seconds": { type: "string" },
    "read-api-only": { type: "boolean", default: false },
    out: { type: "string" }
  }
})
const quick = flags.quick === true
const config = {
  startupRuns: Number(flags.runs ?? (quick ? 3 : 10)),
  loadRuns: quick ? 2 : 5,
  zones: 400,
  concurrency: 16,
  latencyMs: 50,
  memoryPolls: Number(flags["memory-polls"] ?? (quick ? 10 : 100)),
  pollIntervalMinutes: flags["poll-interval-minutes"] ?? "0.002",
  /** The read API's run: zones polled, seconds between polls, keep-alive connections, seconds per phase. */
  readApi: {
    zones: 40,
    pollSeconds: 2,
    connections: 32,
    /** Seconds of load per subject, split into rounds run in turn (service, plain, service, …). */
    seconds: Number(flags["read-seconds"] ?? (quick ? 12 : 30)),
    rounds: quick ? 3 : 5
  },
  /** The container image's NODE_OPTIONS (see the Dockerfile). */
  deployedNodeOptions: "--max-old-space-size=64 --max-semi-space-size=1"
}
const outFile = Path.resolve(flags.out ?? Path.join(BENCH, "results", "latest.json"))
const scratch = mkdtempSync(Path.join(Os.tmpdir(), "carbon-poller-bench-"))
let scratchCount = 0
const freshPath = (name: string) => {
  const directory = Path.join(scratch, String(++scratchCount))
  mkdirSync(directory)
  return Path.join(directory, name)
}
const log = (line: string) => process.stderr.write(`bench: ${line}\n`)
const zoneKeys = (n: number) => Array.from({ length: n }, (_, i) => `BZ-${String(i + 1).padStart(3, "0")}`)
const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length === 0
    ? Number.NaN
    : sorted.length % 2 === 1
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const epochNow = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------------------------------------
// The stand-in

interface StandinStats {
  readonly requests: number
  readonly latest: number
  readonly maxInFlight: number
  readonly firstLatestAt: number | null
  readonly lastLatestAnsweredAt: number | null
}
interface Standin {
  readonly origin: string
  readonly stats: () => Promise<StandinStats>
  readonly reset: () => Promise<void>
  readonly close: () => Promise<void>
}

const isStats = (u: unknown): u is StandinStats =>
  typeof u === "object" && u !== null && "latest" in u && "firstLatestAt" in u

const startStandin = (latencyMs: number): Promise<Standin> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      Path.join(BENCH, "standin.mjs"),
      "--zones",
      String(config.zones),
      "--latency-ms",
      String(latencyMs)
    ], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    child.once("error", reject)
    createInterface({ input: child.stdout! }).once("line", (line) => {
      const origin = /listening on (http:\/\/\S+)$/.exec(line)?.[1]
      if (origin === undefined) return reject(new Error(`unexpected stand-in output: ${line}`))
      const statsUrl = `${origin}/__standin/stats`
      resolve({
        origin,
        stats: async () => {
          const body: unknown = await (await fetch(statsUrl)).json()
          if (!isStats(body)) throw new Error(`unexpected stand-in stats: ${JSON.stringify(body)}`)
          return body
        },
        reset: async () => {
          await (await fetch(statsUrl, { method: "DELETE" })).arrayBuffer()
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

// ---------------------------------------------------------------------------------------------
// Subjects: the service and the two yardsticks, each a command line

interface Subject {
  readonly name: string
  readonly args: (once: boolean) => ReadonlyArray<string>
}
const PROJECT: Subject = {
  name: "carbon-poller (dist/main.js)",
  args: (once) => [Path.join(ROOT, "dist", "main.js"), ...(once ? ["--once"] : [])]
}
const BASELINE_FETCH: Subject = {
  name: "plain Node, fetch + promise pool",
  args: (once) => [Path.join(BENCH, "baseline.mjs"), "--transport", "fetch", ...(once ? ["--once"] : [])]
}
const BASELINE_HTTP: Subject = {
  name: "plain Node, node:http + promise pool",
  args: (once) => [Path.join(BENCH, "baseline.mjs"), "--transport", "http", ...(once ? ["--once"] : [])]
}
const SUBJECTS = [PROJECT, BASELINE_FETCH, BASELINE_HTTP] as const

const USAGE_PRELOAD = `--import=${pathToFileURL(Path.join(BENCH, "report-usage.mjs")).href}`

/** The service's variables, as an operator would set them; nothing inherited that could change them. */
const environmentFor = (
  standin: Standin,
  zones: number,
  cacheFile: string,
  extra: Readonly<Record<string, string>>
) => {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] =>
      entry[1] !== undefined && !/^(ELECTRICITY_MAPS_|ZONES$|MAX_|CACHE_|POLL_|HTTP_|LOG_|NODE_OPTIONS$)/.test(entry[0])
    )
  )
  return {
    ...inherited,
    ELECTRICITY_MAPS_API_URL: `${standin.origin}/v4`,
    ELECTRICITY_MAPS_API_KEY: "bench-key",
    ZONES: zoneKeys(zones).join(","),
    MAX_CONCURRENCY: String(config.concurrency),
    CACHE_FILE: cacheFile,
    HTTP_PORT: "0",
    LOG_LEVEL: "warning",
    ...extra
  }
}

interface OnceRun {
  readonly wallMs: number
  readonly cpuMs: number
  readonly peakRssMiB: number
  /** First zone request at the stand-in to the cache file's rename. */
  readonly cycleMs: number
}

/** One `--once` run from spawn to exit, with the process's own resource usage. */
const runOnce = async (subject: Subject, standin: Standin, zones: number): Promise<OnceRun> => {
  const cacheFile = freshPath("carbon_cache.json")
  const usageFile = freshPath("usage.jsonl")
  await standin.reset()
  let renamedAt: number | undefined
  const watcher = watch(Path.dirname(cacheFile), (_event, name) => {
    if (renamedAt === undefined && name === Path.basename(cacheFile) && existsSync(cacheFile)) renamedAt = epochNow()
  })
  const env = environmentFor(standin, zones, cacheFile, { NODE_OPTIONS: USAGE_PRELOAD, BENCH_USAGE_FILE: usageFile })
  const started = performance.now()
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, subject.args(true), { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.once("error", reject)
    child.once("exit", (code) => resolve({ code, stderr }))
  })
  const wallMs = performance.now() - started
  watcher.close()
  if (code !== 0 || !existsSync(cacheFile)) {
    throw new Error(`${subject.name} --once exited ${code}: ${stderr.slice(0, 500)}`)
  }
  const usage: unknown = JSON.parse(readFileSync(usageFile, "utf8").trim().split("\n").pop() ?? "null")
  if (
    typeof usage !== "object" || usage === null || !("userMs" in usage) || !("systemMs" in usage) ||
    !("maxRssKiB" in usage)
  ) {
    throw new Error(`${subject.name}: no resource usage reported`)
  }
  const stats = await standin.stats()
  return {
    wallMs,
    cpuMs: Number(usage.userMs) + Number(usage.systemMs),
    peakRssMiB: Number(usage.maxRssKiB) / 1024,
    cycleMs: (renamedAt ?? epochNow()) - (stats.firstLatestAt ?? Number.NaN)
  }
}

/** Runs every subject `runs` times in turn (A B C A B C ...) so a drift of the machine hits all alike. */
const interleaved = async (runs: number, standin: Standin, zones: number) => {
  const results = new Map<Subject, Array<OnceRun>>(SUBJECTS.map((s) => [s, []]))
  for (let run = 0; run < runs; run++) {
    for (const subject of SUBJECTS) results.get(subject)!.push(await runOnce(subject, standin, zones))
  }
  return results
}

// ---------------------------------------------------------------------------------------------
// Memory after many polls, long-running mode

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const residentMiB = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? Number.NaN) / 1024
}

const rssAfterPolls = async (
  subject: Subject,
  standin: Standin
): Promise<{ readonly rssMiB: number; readonly polls: number; readonly seconds: number }> => {
  await standin.reset()
  const env = environmentFor(standin, config.zones, freshPath("carbon_cache.json"), {
    NODE_OPTIONS: config.deployedNodeOptions,
    POLL_INTERVAL_MINUTES: config.pollIntervalMinutes,
    // The deployed service serves its endpoints; the yardsticks ignore this.
    HTTP_PORT: String(await freePort())
  })
  const child = spawn(process.execPath, subject.args(false), { cwd: ROOT, env, stdio: ["ignore", "ignore", "inherit"] })
  const started = performance.now()
  const target = config.memoryPolls * config.zones
  const deadline = started + 15 * 60_000
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${subject.name} exited ${child.exitCode} during the memory run`)
      const { latest } = await standin.stats()
      if (latest >= target) {
        const rssMiB = residentMiB(child.pid!)
        return { rssMiB, polls: latest / config.zones, seconds: (performance.now() - started) / 1000 }
      }
      if (performance.now() > deadline) throw new Error(`${subject.name}: ${latest} of ${target} requests in 15 min`)
      await sleep(50)
    }
  } finally {
    await stop(child)
  }
}

// ---------------------------------------------------------------------------------------------
// The read API under load, and the polls and probes meanwhile

interface LoadResult {
  readonly requests: number
  readonly ok: number
  readonly other: number
  readonly errors: number
  readonly seconds: number
  readonly perSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}
const isLoadResult = (u: unknown): u is LoadResult => typeof u === "object" && u !== null && "perSecond" in u

/** One round of bench/readload.mjs against `url`; its JSON line. */
const loadOf = (url: string): Promise<LoadResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      Path.join(BENCH, "readload.mjs"),
      "--url",
      url,
      "--connections",
      String(config.readApi.connections),
      "--seconds",
      String(config.readApi.seconds / config.readApi.rounds)
    ], { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()))
    child.once("error", reject)
    child.once("exit", (code) => {
      const result: unknown = code === 0 ? JSON.parse(out) : undefined
      if (isLoadResult(result)) resolve(result)
      else reject(new Error(`readload exited ${code}: ${out.slice(0, 300)}`))
    })
  })

/** A child that prints `listening on ORIGIN` once ready. */
const startListening = (args: ReadonlyArray<string>): Promise<{ origin: string; child: ChildProcess }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] })
    child.once("error", reject)
    createInterface({ input: child.stdout! }).once("line", (line) => {
      const origin = /listening on (http:\/\/\S+)$/.exec(line)?.[1]
      if (origin === undefined) reject(new Error(`unexpected output: ${line}`))
      else resolve({ origin, child })
    })
  })

interface Spread {
  readonly count: number
  readonly median: number
  readonly max: number
}
const spreadOf = (values: ReadonlyArray<number>): Spread => ({
  count: values.length,
  median: median(values),
  max: values.length === 0 ? Number.NaN : Math.max(...values)
})

interface Watched {
  /** Seconds between successive cache writes (one per poll), within each window watched. */
  readonly pollGaps: Array<number>
  /** Milliseconds each `/readyz` took. */
  readonly probes: Array<number>
}

/**
 * While `during` runs: the gaps between the cache file's renames and the latency of `/readyz`
 * asked every 250 ms from this process, added to `into`.
 */
const watchPollsAndProbes = async <A>(cacheFile: string, origin: string, into: Watched, during: () => Promise<A>) => {
  const writes: Array<number> = []
  const watcher = watch(Path.dirname(cacheFile), (_event, name) => {
    const now = epochNow()
    // One rename can be reported more than once; polls are seconds apart.
    if (name === Path.basename(cacheFile) && (writes.length === 0 || now - writes.at(-1)! > 500)) writes.push(now)
  })
  let probing = true
  const prober = (async () => {
    while (probing) {
      const sent = performance.now()
      const answer = await fetch(`${origin}/readyz`)
      await answer.arrayBuffer()
      into.probes.push(performance.now() - sent)
      await sleep(250)
    }
  })()
  try {
    return await during()
  } finally {
    probing = false
    await prober
    watcher.close()
    writes.slice(1).forEach((at, i) => into.pollGaps.push((at - writes[i]!) / 1000))
  }
}

/** Requests per second and latencies over several rounds: their medians, and the counts summed. */
const combined = (rounds: ReadonlyArray<LoadResult>): LoadResult => ({
  requests: rounds.reduce((sum, r) => sum + r.requests, 0),
  ok: rounds.reduce((sum, r) => sum + r.ok, 0),
  other: rounds.reduce((sum, r) => sum + r.other, 0),
  errors: rounds.reduce((sum, r) => sum + r.errors, 0),
  seconds: rounds.reduce((sum, r) => sum + r.seconds, 0),
  perSecond: median(rounds.map((r) => r.perSecond)),
  p50Ms: median(rounds.map((r) => r.p50Ms)),
  p99Ms: median(rounds.map((r) => r.p99Ms)),
  maxMs: Math.max(...rounds.map((r) => r.maxMs))
})

const readApiUnderLoad = async (standin: Standin) => {
  await standin.reset()
  const port = await freePort()
  const cacheFile = freshPath("carbon_cache.json")
  const env = environmentFor(standin, config.readApi.zones, cacheFile, {
    NODE_OPTIONS: config.deployedNodeOptions,
    POLL_INTERVAL_MINUTES: String(config.readApi.pollSeconds / 60),
    HTTP_HOST: "127.0.0.1",
    HTTP_PORT: String(port)
  })
  const child = spawn(process.execPath, PROJECT.args(false), { cwd: ROOT, env, stdio: ["ignore", "ignore", "inherit"] })
  const origin = `http://127.0.0.1:${port}`
  const latest = `${origin}/v4/carbon-intensity/latest?zone=BZ-001`
  let plain: ChildProcess | undefined
  try {
    const deadline = performance.now() + 60_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the service exited ${child.exitCode} before serving the read API`)
      const status = await fetch(latest).then(async (r) => (await r.arrayBuffer(), r.status), () => 0)
      if (status === 200) break
      if (performance.now() > deadline) throw new Error(`the read API answered ${status} for a minute`)
      await sleep(200)
    }
    const idle: Watched = { pollGaps: [], probes: [] }
    const loaded: Watched = { pollGaps: [], probes: [] }
    await watchPollsAndProbes(cacheFile, origin, idle, () => sleep(config.readApi.seconds * 1000))
    const yardstick = await startListening([Path.join(BENCH, "plainserver.mjs"), "--from", latest])
    plain = yardstick.child
    // In turn, so a drift of the machine's load hits both alike.
    const serviceRounds: Array<LoadResult> = []
    const plainRounds: Array<LoadResult> = []
    for (let round = 0; round < config.readApi.rounds; round++) {
      serviceRounds.push(await watchPollsAndProbes(cacheFile, origin, loaded, () => loadOf(latest)))
      plainRounds.push(await loadOf(`${yardstick.origin}/`))
    }
    return {
      service: combined(serviceRounds),
      plain: combined(plainRounds),
      pollGaps: { idle: spreadOf(idle.pollGaps), loaded: spreadOf(loaded.pollGaps) },
      readyzMs: { idle: spreadOf(idle.probes), loaded: spreadOf(loaded.probes) }
    }
  } finally {
    if (plain !== undefined) await stop(plain)
    await stop(child)
  }
}

type ReadApiFigures = Awaited<ReturnType<typeof readApiUnderLoad>>

const printReadApi = (figures: ReadApiFigures) => {
  const f = (n: number, digits: number) => n.toFixed(digits)
  const { connections, pollSeconds, seconds, zones } = config.readApi
  const out: Array<string> = []
  out.push("")
  out.push(
    `Read API: GET /v4/carbon-intensity/latest, ${connections} keep-alive connections (bench/readload.mjs), ${config.readApi.rounds} rounds of ${
      f(seconds / config.readApi.rounds, 1)
    } s per server in turn (medians), the service polling ${zones} zones every ${pollSeconds} s:`
  )
  out.push("")
  out.push("| | requests/s | p50 | p99 | max | not 200 |")
  out.push("|---|---|---|---|---|---|")
  for (
    const [name, r] of [["carbon-poller", figures.service], ["plain node:http, same bytes", figures.plain]] as const
  ) {
    out.push(
      `| ${name} | ${f(r.perSecond, 0)} | ${f(r.p50Ms, 2)} ms | ${f(r.p99Ms, 2)} ms | ${f(r.maxMs, 1)} ms | ${
        r.other + r.errors
      } |`
    )
  }
  out.push(`| service ÷ plain | ${f(figures.service.perSecond / figures.plain.perSecond, 2)} × | | | | |`)
  out.push("")
  out.push(`Meanwhile (polls every ${pollSeconds} s; /readyz asked every 250 ms):`)
  out.push("")
  out.push("| | poll gap: median | poll gap: max | gaps | /readyz: median | /readyz: max | verdict |")
  out.push("|---|---|---|---|---|---|---|")
  for (const phase of ["idle", "loaded"] as const) {
    const gaps = figures.pollGaps[phase]
    const probes = figures.readyzMs[phase]
    // The cadence is kept when no gap runs a second past the interval.
    const kept = gaps.count > 0 && gaps.max <= pollSeconds + 1
    out.push(
      `| ${phase === "idle" ? "idle" : "under the read load"} | ${f(gaps.median, 2)} s | ${
        f(gaps.max, 2)
      } s | ${gaps.count} | ${f(probes.median, 1)} ms | ${f(probes.max, 1)} ms | ${
        kept ? "cadence kept" : "cadence MISSED"
      } |`
    )
  }
  process.stdout.write(`${out.join("\n")}\n`)
}

// ---------------------------------------------------------------------------------------------
// The table

const withCpuHog = async <A>(body: () => Promise<A>): Promise<A> => {
  const hog = spawn(process.execPath, ["-e", "for(;;);"], { stdio: "ignore" })
  await sleep(300)
  try {
    return await body()
  } finally {
    await stop(hog)
  }
}

const machine = () => {
  const cpus = Os.cpus()
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    node: process.version,
    loadAverage: Os.loadavg().map((l) => l.toFixed(2)).join(" ")
  }
}

const main = async () => {
  log("building dist/main.js (npm run build)")
  const build = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" })
  if (build.status !== 0) throw new Error("npm run build failed")
  const host = machine()
  log(`${host.cpu}, ${host.cores} cores, Node ${host.node}, load ${host.loadAverage}${quick ? " (quick)" : ""}`)

  const instant = await startStandin(0)
  if (flags["read-api-only"] === true) {
    try {
      const readApi = await readApiUnderLoad(instant)
      printReadApi(readApi)
      mkdirSync(Path.dirname(outFile), { recursive: true })
      writeFileSync(
        outFile,
        `${JSON.stringify({ date: new Date().toISOString(), machine: host, config, readApi }, null, 2)}\n`
      )
      log(`wrote ${Path.relative(ROOT, outFile)}`)
    } finally {
      await instant.close()
      rmSync(scratch, { recursive: true, force: true })
    }
    return
  }
  const delayed = await startStandin(config.latencyMs)
  try {
    log(`start-up: ${config.startupRuns} x 1-zone --once per subject`)
    const startup = await interleaved(config.startupRuns, instant, 1)
    log(`CPU per zone: ${config.loadRuns} x ${config.zones}-zone --once per subject`)
    const load = await interleaved(config.loadRuns, instant, config.zones)
    log(`cycle: ${config.loadRuns} x ${config.zones} zones, C=${config.concurrency}, L=${config.latencyMs} ms`)
    const cycle = await interleaved(config.loadRuns, delayed, config.zones)
    log("cycle again beside a CPU hog")
    const busyCycle = await withCpuHog(() => interleaved(config.loadRuns, delayed, config.zones))
    const memory = new Map<Subject, Awaited<ReturnType<typeof rssAfterPolls>>>()
    for (const subject of SUBJECTS) {
      log(`memory: ${subject.name}, ${config.memoryPolls} polls of ${config.zones} zones`)
      memory.set(subject, await rssAfterPolls(subject, instant))
    }

    log(
      `read API: ${config.readApi.connections} connections for ${config.readApi.seconds} s, idle then loaded, then a plain node:http server`
    )
    const readApi = await readApiUnderLoad(instant)

    const bound = Math.ceil(config.zones / config.concurrency) * config.latencyMs
    const rows = SUBJECTS.map((subject) => {
      const s = startup.get(subject)!
      const startupCpu = median(s.map((r) => r.cpuMs))
      return {
        subject: subject.name,
        onceWallSeconds: median(s.map((r) => r.wallMs)) / 1000,
        oncePeakRssMiB: median(s.map((r) => r.peakRssMiB)),
        cycleOverBound: median(cycle.get(subject)!.map((r) => r.cycleMs)) / bound,
        busyCycleOverBound: median(busyCycle.get(subject)!.map((r) => r.cycleMs)) / bound,
        cpuPerZoneMs: (median(load.get(subject)!.map((r) => r.cpuMs)) - startupCpu) / (config.zones - 1),
        rssAfterPollsMiB: memory.get(subject)!.rssMiB,
        pollsCounted: memory.get(subject)!.polls
      }
    })
    printTable(rows, host, bound)
    printReadApi(readApi)
    mkdirSync(Path.dirname(outFile), { recursive: true })
    writeFileSync(
      outFile,
      `${
        JSON.stringify(
          { date: new Date().toISOString(), quick, machine: host, config, boundMs: bound, rows, readApi },
          null,
          2
        )
      }\n`
    )
    log(`wrote ${Path.relative(ROOT, outFile)}`)
  } finally {
    await instant.close()
    await delayed.close()
    rmSync(scratch, { recursive: true, force: true })
  }
}

type Row = {
  readonly subject: string
  readonly onceWallSeconds: number
  readonly oncePeakRssMiB: number
  readonly cycleOverBound: number
  readonly busyCycleOverBound: number
  readonly cpuPerZoneMs: number
  readonly rssAfterPollsMiB: number
}

const printTable = (rows: ReadonlyArray<Row>, host: ReturnType<typeof machine>, bound: number) => {
  const [project, baseline] = [rows[0]!, rows[1]!]
  const f = (n: number, digits: number) => n.toFixed(digits)
  const verdict = (ok: boolean) => (ok ? "met" : "MISSED")
  const polls = `${config.memoryPolls} polls`
  const out: Array<string> = []
  out.push(
    `Machine: ${host.cpu}, ${host.cores} cores, Node ${host.node}, load average at start ${host.loadAverage}${
      quick ? "; --quick (fewer runs and polls)" : ""
    }`
  )
  out.push(
    `Medians of ${config.startupRuns} start-up runs and ${config.loadRuns} load runs per subject; bound ceil(${config.zones}/${config.concurrency})·${config.latencyMs} ms = ${bound} ms.`
  )
  out.push("")
  out.push(
    `| | --once, 1 zone, zero latency: wall | peak RSS | ${config.zones} zones, C=${config.concurrency}, L=${config.latencyMs} ms | CPU per zone (${config.zones} zones, zero latency) | RSS after ${polls} of ${config.zones} zones, deployed flags |`
  )
  out.push("|---|---|---|---|---|---|")
  for (const r of rows) {
    out.push(
      `| ${r.subject} | ${f(r.onceWallSeconds, 3)} s | ${f(r.oncePeakRssMiB, 1)} MiB | ${
        f(r.cycleOverBound, 2)
      } × bound | ${f(r.cpuPerZoneMs, 2)} ms | ${f(r.rssAfterPollsMiB, 1)} MiB |`
    )
  }
  out.push(
    `| service ÷ fetch baseline | ${f(project.onceWallSeconds / baseline.onceWallSeconds, 2)} × | ${
      f(project.oncePeakRssMiB / baseline.oncePeakRssMiB, 2)
    } × | ${f(project.cycleOverBound / baseline.cycleOverBound, 2)} × | ${
      f(project.cpuPerZoneMs / baseline.cpuPerZoneMs, 2)
    } × | ${f(project.rssAfterPollsMiB / baseline.rssAfterPollsMiB, 2)} × |`
  )
  out.push(
    "| target (service) | ≤ 0.35 s and ≤ 1.5 × baseline | ≤ 80 MiB | ≤ 1.10 × bound | ≤ 1.5 × baseline | ≤ 90 MiB |"
  )
  out.push(
    `| verdict | ${
      verdict(project.onceWallSeconds <= 0.35 && project.onceWallSeconds <= 1.5 * baseline.onceWallSeconds)
    } | ${verdict(project.oncePeakRssMiB <= 80)} | ${verdict(project.cycleOverBound <= 1.1)} | ${
      verdict(project.cpuPerZoneMs <= 1.5 * baseline.cpuPerZoneMs)
    } | ${verdict(project.rssAfterPollsMiB <= 90)} |`
  )
  out.push("")
  out.push(
    `Beside a CPU hog (\`node -e 'for(;;);'\`), ${config.zones} zones, C=${config.concurrency}, L=${config.latencyMs} ms:`
  )
  out.push("")
  out.push("| | × bound | ÷ fetch baseline | target | verdict |")
  out.push("|---|---|---|---|---|")
  for (const r of rows) {
    out.push(
      `| ${r.subject} | ${f(r.busyCycleOverBound, 2)} × | ${
        f(r.busyCycleOverBound / baseline.busyCycleOverBound, 2)
      } × | ${r === project ? "≤ 1.10 × bound" : ""} | ${r === project ? verdict(r.busyCycleOverBound <= 1.1) : ""} |`
    )
  }
  process.stdout.write(`${out.join("\n")}\n`)
}

await main()
