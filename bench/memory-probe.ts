/**
 * Memory probe, run in its own process (bundled by esbuild like dist/main.js, started with
 * `node --expose-gc`) so the bench harness does not pollute the figure: builds the service as
 * main.ts does (undici HTTP client, Node filesystem), polls PROBE_ZONES PROBE_POLLS times against
 * PROBE_API_URL, and prints one JSON line of process.memoryUsage() figures.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { makePoller, settingsFrom } from "./harness.js"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`memory probe: ${name} is not set`)
  return value
}

const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10

const snapshot = () => {
  const usage = process.memoryUsage()
  return {
    rssMiB: mib(usage.rss),
    heapUsedMiB: mib(usage.heapUsed),
    heapTotalMiB: mib(usage.heapTotal),
    externalMiB: mib(usage.external)
  }
}

const main = async () => {
  const zones = env("PROBE_ZONES").split(",")
  const polls = Number(env("PROBE_POLLS"))
  const settings = settingsFrom({
    ELECTRICITY_MAPS_API_URL: env("PROBE_API_URL"),
    CACHE_FILE: env("PROBE_CACHE_FILE"),
    ZONES: zones.join(","),
    ...(process.env.PROBE_CONCURRENCY === undefined ? {} : { MAX_CONCURRENCY: process.env.PROBE_CONCURRENCY })
  })
  const poller = makePoller(settings, NodeHttpClient.layerUndici)
  const atStart = snapshot()
  let failures = 0
  let afterFirst = atStart
  for (let i = 0; i < polls; i++) {
    const summary = await poller.pollOnce(zones)
    failures += summary.failures.length
    if (i === 0) afterFirst = snapshot()
  }
  const afterPolls = snapshot()
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const afterGc = snapshot()
  await poller.dispose()
  console.log(
    JSON.stringify({
      polls,
      zones: zones.length,
      concurrency: settings.maxConcurrency,
      failures,
      requests: poller.requests.starts.length,
      atStart,
      afterFirst,
      afterPolls,
      afterGc
    })
  )
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
