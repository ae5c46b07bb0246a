// An Electricity Maps stand-in whose own cost is negligible: plain node:http, bodies built once per
// hour and per emission-factor type, an optional fixed latency. It runs in its own process so its CPU
// and event loop are never the poller's.
//
//   node bench/standin.mjs --zones 400 [--latency-ms 50] [--port 0]
//
// Answers, under any version prefix (/v3 or /v4):
//   GET /<v>/carbon-intensity/latest?zone=Z&emissionFactorType=T  a valid body for exactly Z and T
//       (datetime = the current UTC hour, updatedAt 5 minutes ago); 404 for a zone it does not know
//   GET /<v>/zones                                                the catalogue of its zones
//   GET /__standin/stats     {"requests","latest","maxInFlight","connections",
//                             "firstLatestAt","lastLatestAnsweredAt"}
//                            (times in ms since the epoch, sub-millisecond, comparable across processes)
//   DELETE /__standin/stats                                       resets the counters
// Prints one line, `listening on http://127.0.0.1:PORT`, once it accepts connections.
// Zones are BZ-001 ... BZ-NNN (valid zone keys, the same ones the bench and baselines ask for).
import { createServer } from "node:http"
import { performance } from "node:perf_hooks"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    zones: { type: "string", default: "400" },
    "latency-ms": { type: "string", default: "0" },
    port: { type: "string", default: "0" }
  }
})
const zoneCount = Number(values.zones)
const latencyMs = Number(values["latency-ms"])

const zoneKey = (i) => `BZ-${String(i + 1).padStart(3, "0")}`
const zones = Array.from({ length: zoneCount }, (_, i) => zoneKey(i))
const known = new Set(zones)

const JSON_HEADERS = { "content-type": "application/json" }
const catalogue = Buffer.from(
  JSON.stringify(Object.fromEntries(zones.map((z) => [z, { zoneName: z, access: ["carbon-intensity/latest"] }])))
)

/** Bodies for the current hour, rebuilt when the hour turns (at most once an hour). */
let bodiesHour = -1
let bodies = new Map()
const bodyFor = (zone, type) => {
  const now = Date.now()
  const hour = Math.floor(now / 3_600_000)
  if (hour !== bodiesHour) {
    bodiesHour = hour
    bodies = new Map()
  }
  const key = `${zone}|${type}`
  let body = bodies.get(key)
  if (body === undefined) {
    const datetime = new Date(hour * 3_600_000).toISOString()
    const updatedAt = new Date(now - 5 * 60_000).toISOString()
    const intensity = 50 + ((zone.charCodeAt(3) * 31 + zone.charCodeAt(5) * 7 + zone.charCodeAt(4) * 13) % 700)
    body = Buffer.from(
      JSON.stringify({
        zone,
        carbonIntensity: intensity,
        datetime,
        updatedAt,
        createdAt: updatedAt,
        emissionFactorType: type,
        isEstimated: false,
        estimationMethod: null
      })
    )
    bodies.set(key, body)
  }
  return body
}

let requests = 0
let latest = 0
let inFlight = 0
let maxInFlight = 0
let connections = 0
let firstLatestAt = null
let lastLatestAnsweredAt = null
const epochNow = () => performance.timeOrigin + performance.now()

const send = (res, status, body) => {
  res.writeHead(status, { ...JSON_HEADERS, "content-length": body.length })
  res.end(body)
}

const answer = (req, res) => {
  const url = new URL(req.url, "http://standin")
  if (url.pathname === "/__standin/stats") {
    if (req.method === "DELETE") {
      requests =
        latest =
        maxInFlight =
        connections =
          0
      firstLatestAt = lastLatestAnsweredAt = null
    }
    return send(
      res,
      200,
      Buffer.from(JSON.stringify({ requests, latest, maxInFlight, connections, firstLatestAt, lastLatestAnsweredAt }))
    )
  }
  requests++
  if (url.pathname.endsWith("/zones")) return send(res, 200, catalogue)
  if (url.pathname.endsWith("/carbon-intensity/latest")) {
    latest++
    lastLatestAnsweredAt = epochNow()
    const zone = url.searchParams.get("zone") ?? ""
    if (!known.has(zone)) return send(res, 404, Buffer.from(`{"error":"Zone '${zone}' not found"}`))
    return send(res, 200, bodyFor(zone, url.searchParams.get("emissionFactorType") ?? "lifecycle"))
  }
  send(res, 404, Buffer.from(`{"error":"Not found"}`))
}

const server = createServer((req, res) => {
  if (firstLatestAt === null && req.url.includes("/carbon-intensity/latest")) firstLatestAt = epochNow()
  inFlight++
  if (inFlight > maxInFlight) maxInFlight = inFlight
  res.once("close", () => inFlight--)
  if (latencyMs > 0 && !req.url.startsWith("/__standin")) setTimeout(answer, latencyMs, req, res)
  else answer(req, res)
})
server.on("connection", () => connections++)
server.keepAliveTimeout = 60_000
server.listen(Number(values.port), "127.0.0.1", () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`)
})
process.once("SIGTERM", () => process.exit(0))
