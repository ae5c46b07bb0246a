// A load generator for the read API: C keep-alive connections, each sending GET PATH again as soon as
// the previous answer has been read, for S seconds. Runs in its own process so its CPU is never the
// measured server's event loop (on a 2-core machine it still shares the cores: the ratio to a plain
// server measured the same way is the figure, not the absolute rate).
//
//   node bench/readload.mjs --url http://127.0.0.1:PORT/v4/carbon-intensity/latest?zone=BZ-001 \
//     [--connections 32] [--seconds 10] [--header auth-token=TOKEN]
//
// Prints one JSON line: {"requests","ok","other","errors","seconds","perSecond","bytes",
// "p50Ms","p99Ms","maxMs"} (latencies of answered requests, from send to the last body byte).
import { Agent, request } from "node:http"
import { performance } from "node:perf_hooks"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    connections: { type: "string", default: "32" },
    seconds: { type: "string", default: "10" },
    header: { type: "string", multiple: true, default: [] }
  }
})
if (values.url === undefined) throw new Error("--url is required")
const url = new URL(values.url)
const connections = Number(values.connections)
const until = performance.now() + Number(values.seconds) * 1000
const headers = Object.fromEntries(values.header.map((h) => [h.slice(0, h.indexOf("=")), h.slice(h.indexOf("=") + 1)]))
const agent = new Agent({ keepAlive: true, maxSockets: connections })

let ok = 0
let other = 0
let errors = 0
let bytes = 0
const latencies = []

const once = () =>
  new Promise((resolve) => {
    const sent = performance.now()
    const req = request(url, { agent, headers }, (res) => {
      res.on("data", (chunk) => (bytes += chunk.length))
      res.on("end", () => {
        latencies.push(performance.now() - sent)
        if (res.statusCode === 200) ok++
        else other++
        resolve()
      })
    })
    req.on("error", () => {
      errors++
      resolve()
    })
    req.end()
  })

const worker = async () => {
  while (performance.now() < until) await once()
}

const started = performance.now()
await Promise.all(Array.from({ length: connections }, worker))
const seconds = (performance.now() - started) / 1000
agent.destroy()
latencies.sort((a, b) => a - b)
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN
const requests = ok + other + errors
process.stdout.write(
  `${
    JSON.stringify({
      requests,
      ok,
      other,
      errors,
      seconds,
      perSecond: ok / seconds,
      bytes,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: latencies.at(-1) ?? Number.NaN
    })
  }\n`
)
