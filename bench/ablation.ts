/**
 * `npx tsx bench/ablation.ts`: the local cost taken apart (400 zones, answers from memory):
 * each stage of a poll timed on its own, to find what bounds zones per second.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Layer, Schema, Stream } from "effect"
import { mkdtempSync, readFileSync } from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { renderCache } from "../src/CacheStore.js"
import { LatestCarbonIntensity } from "../src/Domain.js"
import { ElectricityMaps } from "../src/ElectricityMaps.js"
import * as Metrics from "../src/Metrics.js"
import { nextCache } from "../src/Ranking.js"
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
const respond = (request: HttpClientRequest.HttpClientRequest, url: URL) =>
  HttpClientResponse.fromWeb(
    request,
    new Response(body(url.searchParams.get("zone") ?? ""), {
      status: 200,
      headers: { "content-type": "application/json" }
    })
  )
const rawClient = HttpClient.make((request, url) => Effect.sync(() => respond(request, url)))
const client = Layer.succeed(HttpClient.HttpClient, rawClient)

const dir = mkdtempSync(Path.join(Os.tmpdir(), "carbon-poller-ablation-"))
const poller = makePoller(
  settingsFrom({
    ELECTRICITY_MAPS_API_URL: "http://127.0.0.1:9/v3",
    CACHE_FILE: Path.join(dir, "cache.json"),
    ZONES: zones.join(",")
  }),
  client
)

const time = async (name: string, rounds: number, f: () => Promise<unknown>) => {
  for (let i = 0; i < 2; i++) await f()
  const started = performance.now()
  for (let i = 0; i < rounds; i++) await f()
  const perZone = ((performance.now() - started) * 1000) / (rounds * zones.length)
  console.log(
    `${name.padEnd(58)} ${perZone.toFixed(1).padStart(8)} µs/zone  ${
      Math.round(1e6 / perZone).toString().padStart(8)
    } zones/s`
  )
}

const forEach = <A, E, R>(f: (zone: string) => Effect.Effect<A, E, R>) => Effect.forEach(zones, f, { concurrency: 5 })
const decode = Schema.decodeUnknownEither(Schema.parseJson(LatestCarbonIntensity))
const texts = zones.map(body)
const url = new URL("http://127.0.0.1:9/v3/carbon-intensity/latest?zone=DE")
const request = HttpClientRequest.get(url)

await time("Effect.forEach, concurrency 5, no work", 20, () => poller.run(forEach(() => Effect.void)))
await time("new Response + fromWeb (no read)", 20, async () => zones.map(() => respond(request, url)))
await time("fromWeb + response.text", 20, () => poller.run(forEach(() => respond(request, url).text)))
await time(
  "fromWeb + response.stream fold (as readBoundedText)",
  20,
  () => poller.run(forEach(() => Stream.runDrain(respond(request, url).stream)))
)
await time("schema parseJson decode only", 20, async () => texts.map((t) => decode(t)))
await time(
  "Metrics.increment fetches {zone,outcome}",
  20,
  () => poller.run(forEach((zone) => Metrics.increment(Metrics.fetches, { zone, outcome: "ok" })))
)
await time(
  "Effect.withSpan around a no-op",
  20,
  () => poller.run(forEach(() => Effect.void.pipe(Effect.withSpan("x", { attributes: { a: 1 } }))))
)
await time(
  "Effect.withSpan, captureStackTrace: false",
  20,
  () =>
    poller.run(
      forEach(() => Effect.void.pipe(Effect.withSpan("x", { attributes: { a: 1 }, captureStackTrace: false })))
    )
)
await time("fromWeb + response.arrayBuffer", 20, () => poller.run(forEach(() => respond(request, url).arrayBuffer)))
await time(
  "HttpClient.execute via the platform client (make)",
  20,
  () => poller.run(forEach(() => rawClient.execute(request)))
)
await time(
  "Effect.timeoutFail (10 s) around a no-op",
  20,
  () =>
    poller.run(
      forEach(() => Effect.void.pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => "timeout" })))
    )
)
await time(
  "execute + stream fold + decode (src's path, no timeout/retry/span)",
  10,
  () =>
    poller.run(
      forEach(() =>
        rawClient.execute(request).pipe(Effect.flatMap((r) => Stream.runFold(r.stream, 0, (n, b) => n + b.length)))
      )
    )
)
await time(
  "execute + arrayBuffer + decode (proposed path)",
  10,
  () =>
    poller.run(forEach(() =>
      rawClient.execute(request).pipe(
        Effect.flatMap((r) => r.arrayBuffer),
        Effect.map((b) => decode(new TextDecoder().decode(b)))
      )
    ))
)
await time(
  "ElectricityMaps.latest (full API call)",
  10,
  () => poller.run(Effect.flatMap(ElectricityMaps, (api) => forEach((zone) => api.latest(zone))))
)
const readings = await poller.run(Effect.flatMap(ElectricityMaps, (api) => forEach((zone) => api.latest(zone))))
const fresh = readings.map((reading, i) => ({ zone: zones[i] ?? "", reading, fetchedAt: Date.now() }))
await time(
  "nextCache (rank)",
  20,
  async () =>
    nextCache({ configuredZones: zones, fresh, failures: [], previous: undefined, now: Date.now(), ttlMinutes: 10 })
)
const cache = nextCache({
  configuredZones: zones,
  fresh,
  failures: [],
  previous: undefined,
  now: Date.now(),
  ttlMinutes: 10
})
if (cache !== undefined) {
  await time("renderCache (schema encode + JSON)", 20, () => Effect.runPromise(renderCache(cache)))
}
await time("Poller.pollOnce (everything)", 10, () => poller.pollOnce(zones))
await poller.dispose()
