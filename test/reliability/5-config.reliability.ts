/**
 * Scenario 5: bad configuration. Each invalid value of CONTRACT section 2 stops the process with
 * exit code 2 and a message naming it, before any request; so do a missing, empty or unreadable
 * key file, and both key variables set.
 */
import { chmodSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Simulator from "../../src/simulator/Simulator.js"
import { KEY, keepEmitted, record, spawnService, tempDir } from "./support.js"

let simulator: Simulator.RunningSimulator
let keyDir: string
beforeAll(async () => {
  simulator = await Simulator.startSimulator({ port: 0, seed: 51 })
  keyDir = tempDir("keys")
  chmodSync(keyDir, 0o755)
  writeFileSync(join(keyDir, "empty"), "\n")
  writeFileSync(join(keyDir, "secret"), `${KEY}\n`)
  chmodSync(join(keyDir, "secret"), 0o600) // root's; unreadable for nobody
})
afterAll(async () => {
  await simulator.close()
})

const cases: ReadonlyArray<{ readonly name: string; readonly env: () => Record<string, string>; readonly variable: string; readonly uid?: number }> = [
  { name: "no key", env: () => ({}), variable: "ELECTRICITY_MAPS_API_KEY" },
  { name: "POLL_INTERVAL_MINUTES=0", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, POLL_INTERVAL_MINUTES: "0" }), variable: "POLL_INTERVAL_MINUTES" },
  { name: "POLL_INTERVAL_MINUTES=abc", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, POLL_INTERVAL_MINUTES: "abc" }), variable: "POLL_INTERVAL_MINUTES" },
  { name: "CACHE_TTL_MINUTES=-5", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, CACHE_TTL_MINUTES: "-5" }), variable: "CACHE_TTL_MINUTES" },
  { name: "EMISSION_FACTOR_TYPE=indirect", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, EMISSION_FACTOR_TYPE: "indirect" }), variable: "EMISSION_FACTOR_TYPE" },
  { name: "empty ZONES", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: "" }), variable: "ZONES" },
  { name: "zone with /", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: "DE,US/CAL" }), variable: "ZONES" },
  { name: "zone with ?", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: "DE?x" }), variable: "ZONES" },
  { name: "zone with &", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: "DE&zone=FR" }), variable: "ZONES" },
  { name: "zone with a space inside", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: "US CAL" }), variable: "ZONES" },
  { name: "http:// to a remote host", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ELECTRICITY_MAPS_API_URL: "http://api.electricitymaps.com/v3" }), variable: "ELECTRICITY_MAPS_API_URL" },
  { name: "MAX_CONCURRENCY=0", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, MAX_CONCURRENCY: "0" }), variable: "MAX_CONCURRENCY" },
  { name: "REQUEST_TIMEOUT_SECONDS=x", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, REQUEST_TIMEOUT_SECONDS: "x" }), variable: "REQUEST_TIMEOUT_SECONDS" },
  { name: "MAX_RETRIES=99", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, MAX_RETRIES: "99" }), variable: "MAX_RETRIES" },
  { name: "LOG_FORMAT=xml", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, LOG_FORMAT: "xml" }), variable: "LOG_FORMAT" },
  { name: "LOG_LEVEL=loud", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, LOG_LEVEL: "loud" }), variable: "LOG_LEVEL" },
  { name: "HTTP_PORT=99999", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, HTTP_PORT: "99999" }), variable: "HTTP_PORT" },
  { name: "key file missing", env: () => ({ ELECTRICITY_MAPS_API_KEY_FILE: join(keyDir, "absent") }), variable: "ELECTRICITY_MAPS_API_KEY_FILE" },
  { name: "key file empty", env: () => ({ ELECTRICITY_MAPS_API_KEY_FILE: join(keyDir, "empty") }), variable: "ELECTRICITY_MAPS_API_KEY_FILE" },
  { name: "key file unreadable", env: () => ({ ELECTRICITY_MAPS_API_KEY_FILE: join(keyDir, "secret") }), variable: "ELECTRICITY_MAPS_API_KEY_FILE", uid: 65534 },
  { name: "both key variables", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ELECTRICITY_MAPS_API_KEY_FILE: join(keyDir, "secret") }), variable: "ELECTRICITY_MAPS_API_KEY_FILE" }
]

describe("5. bad configuration", () => {
  it("exits 2 naming the variable, before any request, for every invalid value", async () => {
    const before = (await simulator.stats()).total
    const failures: Array<string> = []
    for (const c of cases) {
      const service = spawnService(
        { ELECTRICITY_MAPS_API_URL: simulator.baseUrl, CACHE_FILE: join(tempDir("cfg"), "c.json"), ...c.env() },
        [],
        c.uid === undefined ? {} : { uid: c.uid, gid: c.uid }
      )
      const code = await service.exited(15_000)
      const stderr = service.stderr()
      keepEmitted(service.stdout(), stderr)
      if (code !== 2) failures.push(`${c.name}: exit ${code}`)
      if (!stderr.includes(c.variable)) failures.push(`${c.name}: message does not name ${c.variable}: ${stderr}`)
      if (stderr.includes(KEY)) failures.push(`${c.name}: the key is in the message`)
    }
    const requests = (await simulator.stats()).total - before
    record({
      scenario: "5 bad configuration",
      runs: cases.length,
      failures: failures.length + requests,
      figures: `${cases.length} invalid settings, all exit 2 naming the variable; ${requests} requests made`
    })
    expect(failures).toEqual([])
    expect(requests).toBe(0)
  })
})
