// The yardstick: a plain Node poller that does what `carbon-poller --once` does, with nothing else.
// It reads the same variables as the service, asks `/zones` once, fetches every zone with at most
// MAX_CONCURRENCY requests in flight (a promise pool), ranks the readings and writes the cache file
// atomically (temporary file, fsync, rename, fsync of the directory).
//
//   node bench/baseline.mjs --transport fetch|http [--once]
//
// Without --once it polls every POLL_INTERVAL_MINUTES at a fixed rate, like the service.
// Variables: ELECTRICITY_MAPS_API_URL, ELECTRICITY_MAPS_API_KEY, ZONES, MAX_CONCURRENCY,
// CACHE_FILE, EMISSION_FACTOR_TYPE (default lifecycle), POLL_INTERVAL_MINUTES (default 5).
import { open, rename } from "node:fs/promises"
import { Agent, request } from "node:http"
import * as Path from "node:path"
import { parseArgs } from "node:util"

const { values: flags } = parseArgs({
  options: { transport: { type: "string", default: "fetch" }, once: { type: "boolean", default: false } }
})
const env = process.env
const apiUrl = env.ELECTRICITY_MAPS_API_URL
const apiKey = env.ELECTRICITY_MAPS_API_KEY ?? ""
const zones = (env.ZONES ?? "").split(",").filter((z) => z !== "")
const concurrency = Number(env.MAX_CONCURRENCY ?? "5")
const cacheFile = env.CACHE_FILE ?? "carbon_cache.json"
const factor = env.EMISSION_FACTOR_TYPE ?? "lifecycle"
const intervalMs = Number(env.POLL_INTERVAL_MINUTES ?? "5") * 60_000
const TIMEOUT_MS = 10_000

const agent = new Agent({ keepAlive: true, maxSockets: concurrency })

/** GET `url` and parse the JSON answer, over fetch or node:http. */
const getJson = flags.transport === "http"
  ? (url) =>
    new Promise((resolve, reject) => {
      const req = request(url, {
        agent,
        headers: { "auth-token": apiKey, accept: "application/json" },
        timeout: TIMEOUT_MS
      }, (res) => {
        const chunks = []
        res.on("data", (c) => chunks.push(c))
        res.on("end", () => {
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`))
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")))
          } catch (error) {
            reject(error)
          }
        })
        res.on("error", reject)
      })
      req.on("timeout", () => req.destroy(new Error("timeout")))
      req.on("error", reject)
      req.end()
    })
  : async (url) => {
    const res = await fetch(url, {
      headers: { "auth-token": apiKey, accept: "application/json" },
      signal: AbortSignal.timeout(TIMEOUT_MS)
    })
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
    return res.json()
  }

/** Runs `task` over `items` with at most `limit` in flight; results in input order. */
const pool = async (items, limit, task) => {
  const results = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await task(items[i]).then(
        (value) => ({ ok: true, value }),
        (error) => ({ ok: false, error: String(error) })
      )
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

const isReading = (r, zone) =>
  typeof r === "object" && r !== null && r.zone === zone && typeof r.carbonIntensity === "number" &&
  typeof r.datetime === "string"

const stamp = (date) => date.toISOString().slice(0, 19)

const writeAtomically = async (file, text) => {
  const temp = `${file}.${process.pid}.tmp`
  const handle = await open(temp, "w", 0o644)
  await handle.writeFile(text)
  await handle.sync()
  await handle.close()
  await rename(temp, file)
  const dir = await open(Path.dirname(file), "r")
  await dir.sync()
  await dir.close()
}

const pollOnce = async () => {
  const now = new Date()
  const answers = await pool(
    zones,
    concurrency,
    (zone) => getJson(`${apiUrl}/carbon-intensity/latest?zone=${encodeURIComponent(zone)}&emissionFactorType=${factor}`)
  )
  const regions = {}
  const unavailable = {}
  answers.forEach((answer, i) => {
    const zone = zones[i]
    if (answer.ok && isReading(answer.value, zone)) regions[zone] = { ...answer.value, timestamp: stamp(now) }
    else unavailable[zone] = { reason: "Unavailable", message: answer.ok ? "unexpected answer" : answer.error }
  })
  const sorted = Object.keys(regions).sort((a, b) =>
    regions[a].carbonIntensity - regions[b].carbonIntensity || (a < b ? -1 : 1)
  )
  if (sorted.length === 0) return false
  const cache = {
    timestamp: stamp(now),
    ttl_minutes: 10,
    regions,
    sorted_by_carbon: sorted,
    best_region: sorted[0],
    worst_region: sorted[sorted.length - 1],
    expires_at: `${stamp(new Date(now.getTime() + 600_000))}Z`,
    unavailable
  }
  await writeAtomically(cacheFile, JSON.stringify(cache, null, 2))
  return true
}

await getJson(`${apiUrl}/zones`).catch(() => undefined)
if (flags.once) {
  const written = await pollOnce()
  agent.destroy()
  process.exitCode = written ? 0 : 1
} else {
  const start = Date.now()
  for (let n = 1;; n++) {
    await pollOnce().catch((error) => process.stderr.write(`poll failed: ${error}\n`))
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + n * intervalMs - Date.now())))
  }
}
