/**
 * Scenario 6, the key under every fault: the service runs through every fault kind of the
 * simulator with the most talkative logs (trace, JSON and pretty), with the key from the
 * environment and from a key file, with a key the API refuses, and against an upstream that
 * echoes the key back in every place an answer can carry text. Nothing it emits may contain the
 * key: stdout, stderr, the cache file, `/metrics`, `/cache`, `/healthz`, `/readyz`.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Simulator from "../../src/simulator/Simulator.js"
import {
  baseEnv,
  EVERY_FAULT,
  freePort,
  httpGet,
  keepEmitted,
  KEY,
  pollLines,
  record,
  type ServiceProcess,
  spawnService,
  stop,
  tempDir,
  waitUntil
} from "./support.js"

const ZONES = ["DE", "FR", "SE"]

const ALL_FAULTS = EVERY_FAULT

/** Occurrences of the key in a text, and where the first one is. */
const leaksIn = (label: string, text: string): Array<string> => {
  const at = text.indexOf(KEY)
  return at < 0 ? [] : [`${label}: "${text.slice(Math.max(0, at - 80), at + KEY.length + 20).replace(/\s+/g, " ")}"`]
}

/** Everything the process and its endpoints say, scanned for the key (and kept for the final scan). */
const scan = async (
  label: string,
  service: ServiceProcess,
  cacheFile: string,
  port: number | undefined
): Promise<{ readonly bytes: number; readonly leaks: Array<string> }> => {
  const texts: Array<[string, string]> = []
  if (port !== undefined && service.child.exitCode === null) {
    for (const path of ["/metrics", "/cache", "/healthz", "/readyz"]) {
      const answer = await httpGet(port, path).catch((error: unknown) => ({ status: 0, body: String(error) }))
      texts.push([`${label} ${path}`, answer.body])
    }
  }
  const code = await stop(service, cacheFile)
  texts.push([`${label} stdout`, service.stdout()], [`${label} stderr`, service.stderr()])
  try {
    texts.push([`${label} cache file`, readFileSync(cacheFile, "utf8")])
  } catch {
    // no cache written in this run
  }
  for (const [, text] of texts) keepEmitted(text)
  const leaks = texts.flatMap(([where, text]) => leaksIn(where, text))
  if (typeof code === "number" && code !== 0 && code !== 1) leaks.push(`${label}: exit ${code}`)
  return { bytes: texts.reduce((n, [, text]) => n + text.length, 0), leaks }
}

/**
 * An upstream that echoes the `auth-token` it receives in every field it can: an error body, an
 * HTML title, an undecodable body, the string fields of a valid answer, the zone catalogue.
 */
const startEchoServer = async () => {
  const answer = (response: ServerResponse, status: number, body: string, type = "application/json") => {
    response.writeHead(status, { "content-type": type })
    response.end(body)
  }
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const token = String(request.headers["auth-token"] ?? "")
    const url = new URL(request.url ?? "/", "http://127.0.0.1")
    if (url.pathname.endsWith("/zones")) {
      return answer(
        response,
        200,
        JSON.stringify({
          DE: { zoneName: `Germany ${token}`, access: ["*"] },
          FR: { zoneName: "France" },
          SE: { zoneName: "Sweden" },
          GB: { zoneName: "GB" },
          PL: { zoneName: "PL" }
        })
      )
    }
    const zone = url.searchParams.get("zone") ?? ""
    const reading = (overrides: Record<string, unknown>) =>
      JSON.stringify({
        zone,
        carbonIntensity: 100,
        datetime: "2024-01-01T12:00:00.000Z",
        updatedAt: "2024-01-01T11:50:00.000Z",
        emissionFactorType: "lifecycle",
        isEstimated: true,
        ...overrides
      })
    switch (zone) {
      case "DE":
        return answer(
          response,
          401,
          JSON.stringify({ error: "Invalid auth-token", message: `The provided token ${token} is invalid` })
        )
      case "FR":
        return answer(
          response,
          502,
          `<html><head><title>Bad Gateway for ${token}</title></head><body>${token}</body></html>`,
          "text/html"
        )
      case "SE":
        return answer(response, 200, `{"error":"token "${token}" not valid"}`)
      case "GB":
        // A valid answer whose string fields carry the key: the cache copies the API's fields.
        return answer(response, 200, reading({ estimationMethod: token, temporalGranularity: `hourly ${token}` }))
      default:
        return answer(response, 200, reading({ carbonIntensity: 50 }))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/v3`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

let simulator: Simulator.RunningSimulator
beforeAll(async () => {
  // The simulator accepts only our key, so every fault is met with the real key on the wire.
  simulator = await Simulator.startSimulator({ port: 0, seed: 62, apiKey: KEY })
})
afterAll(async () => {
  await simulator.close()
})

describe("6. security: the key under every fault", () => {
  it("never appears in anything the process emits, whatever the API does", async () => {
    const leaks: Array<string> = []
    const runs: Array<string> = []
    let bytes = 0
    const add = (result: { readonly bytes: number; readonly leaks: Array<string> }) => {
      bytes += result.bytes
      leaks.push(...result.leaks)
    }

    // Every fault kind in turn, with trace logs, in both log formats; the key from the
    // environment, then from a key file.
    const keyFile = join(tempDir("keyfile"), "key")
    writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 })
    for (
      const variant of [
        { label: "json/trace/env key", env: { LOG_FORMAT: "json", ELECTRICITY_MAPS_API_KEY: KEY } },
        { label: "pretty/trace/key file", env: { LOG_FORMAT: "pretty", ELECTRICITY_MAPS_API_KEY_FILE: keyFile } }
      ]
    ) {
      await simulator.clearFaults()
      const cacheFile = join(tempDir("keyfaults"), "carbon_cache.json")
      const port = await freePort()
      const env: Record<string, string> = {
        ...baseEnv(simulator.baseUrl, cacheFile, {
          ZONES: ZONES.join(","),
          POLL_INTERVAL_MINUTES: "0.005",
          REQUEST_TIMEOUT_SECONDS: "0.5",
          MAX_RETRIES: "1",
          LOG_LEVEL: "trace",
          HTTP_PORT: String(port)
        }),
        ...variant.env
      }
      if (!("ELECTRICITY_MAPS_API_KEY" in variant.env)) delete env["ELECTRICITY_MAPS_API_KEY"]
      const service = spawnService(env)
      const polled = () => service.stdout().split("\n").filter((l) => l.includes("poll: ")).length
      await waitUntil(() => polled() >= 1, 15_000)
      for (const fault of ALL_FAULTS) {
        // The fault on one zone, the catalogue and every endpoint alike.
        await simulator.setFaults([{ fault, zone: "DE" }, { fault, endpoint: "zones" }])
        const from = polled()
        await waitUntil(() => polled() >= from + 2, 15_000)
        keepEmitted((await httpGet(port, "/metrics")).body, (await httpGet(port, "/cache")).body)
      }
      runs.push(`${variant.label}: ${polled()} polls`)
      add(await scan(variant.label, service, cacheFile, port))
    }
    await simulator.clearFaults()

    // A key the API refuses: the start-up zone check and every zone answer 401.
    const refusing = await Simulator.startSimulator({ port: 0, seed: 63, apiKey: "someone-elses-key" })
    try {
      const cacheFile = join(tempDir("wrongkey"), "carbon_cache.json")
      const once = spawnService(baseEnv(refusing.baseUrl, cacheFile, { ZONES: ZONES.join(","), LOG_LEVEL: "trace" }), [
        "--once"
      ])
      await once.exited(15_000)
      runs.push(`refused key --once: exit ${once.child.exitCode}`)
      add(await scan("refused key --once", once, cacheFile, undefined))
      const zonesCommand = spawnService(baseEnv(refusing.baseUrl, cacheFile, { LOG_LEVEL: "trace" }), [
        "zones",
        "germany"
      ])
      await zonesCommand.exited(15_000)
      add(await scan("refused key zones", zonesCommand, cacheFile, undefined))
    } finally {
      await refusing.close()
    }

    // An upstream that echoes the key back everywhere.
    const echo = await startEchoServer()
    try {
      const cacheFile = join(tempDir("echo"), "carbon_cache.json")
      const port = await freePort()
      const service = spawnService(
        baseEnv(echo.baseUrl, cacheFile, {
          ZONES: "DE,FR,SE,GB,PL",
          POLL_INTERVAL_MINUTES: "0.005",
          MAX_RETRIES: "0",
          LOG_LEVEL: "trace",
          HTTP_PORT: String(port)
        })
      )
      await waitUntil(() => pollLines(service).length >= 2, 15_000)
      runs.push(`echoing upstream: ${pollLines(service).length} polls`)
      add(await scan("echoing upstream", service, cacheFile, port))
    } finally {
      await echo.close()
    }

    record({
      scenario: "6 key under every fault",
      runs: runs.length,
      failures: leaks.length,
      figures:
        `${ALL_FAULTS.length} fault kinds × (JSON, pretty; env key, key file) at LOG_LEVEL=trace, a refused key, an upstream echoing the key: ${
          (bytes / 1024).toFixed(0)
        } KiB scanned, ${leaks.length} leaks${leaks.length > 0 ? `; BROKE: ${leaks.slice(0, 3).join(" | ")}` : ""}`
    })
    expect(leaks).toEqual([])
  })
})
