/**
 * `node --cpu-prof --import tsx bench/profile-local.ts [polls]`: the bench's local-cost loop
 * (400 zones, answers served from memory, no network) on its own, for a CPU profile; then
 * `node bench/profile-summary.mjs *.cpuprofile` ranks where the time went.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Layer } from "effect"
import { mkdtempSync, readFileSync } from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { makePoller, settingsFrom } from "./harness.js"
import { ROOT } from "./processes.js"

const zones = Object.keys(
  JSON.parse(readFileSync(Path.join(ROOT, "src", "simulator", "zones.json"), "utf8")) as Record<string, unknown>
).sort()
const body = (zone: string) =>
  JSON.stringify({
    zone,
    carbonIntensity: 123,
    datetime: "2024-03-06T19:00:00.000Z",
    updatedAt: "2024-03-06T18:48:00.000Z",
    createdAt: "2024-03-03T19:00:00.000Z",
    emissionFactorType: "lifecycle",
    isEstimated: true,
    estimationMethod: "TIME_SLICER_AVERAGE",
    temporalGranularity: "hourly"
  })
const client = Layer.succeed(
  HttpClient.HttpClient,
  HttpClient.make((request, url) =>
    Effect.sync(() =>
      HttpClientResponse.fromWeb(
        request,
        new Response(body(url.searchParams.get("zone") ?? ""), {
          status: 200,
          headers: { "content-type": "application/json" }
        })
      )
    )
  )
)
const polls = Number(process.argv[2] ?? 20)
const dir = mkdtempSync(Path.join(Os.tmpdir(), "carbon-poller-profile-"))
const poller = makePoller(
  settingsFrom({
    ELECTRICITY_MAPS_API_URL: "http://127.0.0.1:9/v3",
    CACHE_FILE: Path.join(dir, "cache.json"),
    ZONES: zones.join(","),
    ...(process.env.MAX_CONCURRENCY ? { MAX_CONCURRENCY: process.env.MAX_CONCURRENCY } : {})
  }),
  client
)
const started = performance.now()
for (let i = 0; i < polls; i++) {
  const t = performance.now()
  const summary = await poller.pollOnce(zones)
  process.stderr.write(
    `poll ${i}: ${(performance.now() - t).toFixed(1)} ms, ${summary.fresh.length} ok, heap ${
      (process.memoryUsage().heapUsed / 1048576).toFixed(1)
    } MiB\n`
  )
}
const elapsed = performance.now() - started
process.stderr.write(`${Math.round((zones.length * polls * 1000) / elapsed)} zones/s\n`)
await poller.dispose()
