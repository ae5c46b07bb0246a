/**
 * Scenario 5: bad configuration. Each invalid value of a documented variable (docs/configuration.md) stops the process with
 * exit code 2 and a message naming it, before any request; so do a missing, empty or unreadable
 * key file, and both key variables set.
 */
import { chmodSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { redactUrl } from "../../src/config/Configuration.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import { keepEmitted, KEY, record, spawnService, tempDir } from "./support.js"

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

const cases: ReadonlyArray<
  {
    readonly name: string
    readonly env: () => Record<string, string>
    readonly variable: string
    readonly uid?: number
  }
> = [
  { name: "no key", env: () => ({}), variable: "ELECTRICITY_MAPS_API_KEY" },
  {
    name: "POLL_INTERVAL_MINUTES=0",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, POLL_INTERVAL_MINUTES: "0" }),
    variable: "POLL_INTERVAL_MINUTES"
  },
  {
    name: "POLL_INTERVAL_MINUTES=abc",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, POLL_INTERVAL_MINUTES: "abc" }),
    variable: "POLL_INTERVAL_MINUTES"
  },
  {
    name: "CACHE_TTL_MINUTES=-5",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, CACHE_TTL_MINUTES: "-5" }),
    variable: "CACHE_TTL_MINUTES"
  },
  {
    name: "EMISSION_FACTOR_TYPE=indirect",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, EMISSION_FACTOR_TYPE: "indirect" }),
    variable: "EMISSION_FACTOR_TYPE"
  },
  { name: "empty ZONES", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: "" }), variable: "ZONES" },
  { name: "zone with /", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: "DE,US/CAL" }), variable: "ZONES" },
  { name: "zone with ?", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: "DE?x" }), variable: "ZONES" },
  { name: "zone with &", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: "DE&zone=FR" }), variable: "ZONES" },
  {
    name: "zone with a space inside",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: "US CAL" }),
    variable: "ZONES"
  },
  {
    name: "http:// to a remote host",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ELECTRICITY_MAPS_API_URL: "http://api.electricitymaps.com/v3" }),
    variable: "ELECTRICITY_MAPS_API_URL"
  },
  {
    name: "MAX_CONCURRENCY=0",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, MAX_CONCURRENCY: "0" }),
    variable: "MAX_CONCURRENCY"
  },
  {
    name: "REQUEST_TIMEOUT_SECONDS=x",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, REQUEST_TIMEOUT_SECONDS: "x" }),
    variable: "REQUEST_TIMEOUT_SECONDS"
  },
  {
    name: "MAX_RETRIES=99",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, MAX_RETRIES: "99" }),
    variable: "MAX_RETRIES"
  },
  { name: "LOG_FORMAT=xml", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, LOG_FORMAT: "xml" }), variable: "LOG_FORMAT" },
  { name: "LOG_LEVEL=loud", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, LOG_LEVEL: "loud" }), variable: "LOG_LEVEL" },
  {
    name: "HTTP_PORT=99999",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, HTTP_PORT: "99999" }),
    variable: "HTTP_PORT"
  },
  {
    name: "POLL_INTERVAL_MINUTES=5min",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, POLL_INTERVAL_MINUTES: "5min" }),
    variable: "POLL_INTERVAL_MINUTES"
  },
  {
    name: "CACHE_TTL_MINUTES=0",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, CACHE_TTL_MINUTES: "0" }),
    variable: "CACHE_TTL_MINUTES"
  },
  {
    name: "CACHE_FILE a directory",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, CACHE_FILE: "/tmp/cache/" }),
    variable: "CACHE_FILE"
  },
  { name: "zone with #", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: "DE#FR" }), variable: "ZONES" },
  {
    name: "zone with %2F",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: "DE%2F..%2Fzones" }),
    variable: "ZONES"
  },
  { name: "zone with a newline", env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: "DE\nFR" }), variable: "ZONES" },
  {
    name: "http:// to a private address",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ELECTRICITY_MAPS_API_URL: "http://10.0.0.5/v3" }),
    variable: "ELECTRICITY_MAPS_API_URL"
  },
  {
    name: "http:// to a look-alike of loopback",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ELECTRICITY_MAPS_API_URL: "http://127.0.0.1.nip.io/v3" }),
    variable: "ELECTRICITY_MAPS_API_URL"
  },
  {
    name: "http://localhost.example.com",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ELECTRICITY_MAPS_API_URL: "http://localhost.example.com/v3" }),
    variable: "ELECTRICITY_MAPS_API_URL"
  },
  {
    name: "API URL with credentials",
    env: () => ({
      ELECTRICITY_MAPS_API_KEY: KEY,
      ELECTRICITY_MAPS_API_URL: "https://user:pw@api.electricitymaps.com/v3"
    }),
    variable: "ELECTRICITY_MAPS_API_URL"
  },
  {
    name: "API URL with a query",
    env: () => ({
      ELECTRICITY_MAPS_API_KEY: KEY,
      ELECTRICITY_MAPS_API_URL: "https://api.electricitymaps.com/v3?zone=DE"
    }),
    variable: "ELECTRICITY_MAPS_API_URL"
  },
  {
    name: "API URL not a URL",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ELECTRICITY_MAPS_API_URL: "api.electricitymaps.com" }),
    variable: "ELECTRICITY_MAPS_API_URL"
  },
  {
    name: "API URL ftp://",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ELECTRICITY_MAPS_API_URL: "ftp://api.electricitymaps.com/v3" }),
    variable: "ELECTRICITY_MAPS_API_URL"
  },
  {
    name: "MAX_RESPONSE_BYTES=10",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, MAX_RESPONSE_BYTES: "10" }),
    variable: "MAX_RESPONSE_BYTES"
  },
  {
    name: "MAX_REQUESTS_PER_SECOND=-1",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, MAX_REQUESTS_PER_SECOND: "-1" }),
    variable: "MAX_REQUESTS_PER_SECOND"
  },
  {
    name: "RETRY_BASE_DELAY_SECONDS=0",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, RETRY_BASE_DELAY_SECONDS: "0" }),
    variable: "RETRY_BASE_DELAY_SECONDS"
  },
  {
    name: "HTTP_HOST with a space",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, HTTP_HOST: "0.0.0.0 x" }),
    variable: "HTTP_HOST"
  },
  {
    name: "key with a newline inside",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: `${KEY}\nX-Injected: 1` }),
    variable: "ELECTRICITY_MAPS_API_KEY"
  },
  {
    name: "key file missing",
    env: () => ({ ELECTRICITY_MAPS_API_KEY_FILE: join(keyDir, "absent") }),
    variable: "ELECTRICITY_MAPS_API_KEY_FILE"
  },
  {
    name: "key file empty",
    env: () => ({ ELECTRICITY_MAPS_API_KEY_FILE: join(keyDir, "empty") }),
    variable: "ELECTRICITY_MAPS_API_KEY_FILE"
  },
  {
    name: "key file unreadable",
    env: () => ({ ELECTRICITY_MAPS_API_KEY_FILE: join(keyDir, "secret") }),
    variable: "ELECTRICITY_MAPS_API_KEY_FILE",
    uid: 65534
  },
  {
    name: "both key variables",
    env: () => ({ ELECTRICITY_MAPS_API_KEY: KEY, ELECTRICITY_MAPS_API_KEY_FILE: join(keyDir, "secret") }),
    variable: "ELECTRICITY_MAPS_API_KEY_FILE"
  }
]

/** Runs the service with a bad setting; returns what is wrong with how it refused. */
const refuse = async (c: (typeof cases)[number]): Promise<Array<string>> => {
  const failures: Array<string> = []
  const env = c.env()
  const service = spawnService(
    { ELECTRICITY_MAPS_API_URL: simulator.baseUrl, CACHE_FILE: join(tempDir("cfg"), "c.json"), ...env },
    [],
    c.uid === undefined ? {} : { uid: c.uid, gid: c.uid }
  )
  const code = await service.exited(15_000)
  const stderr = service.stderr()
  keepEmitted(service.stdout(), stderr)
  if (code !== 2) failures.push(`${c.name}: exit ${code}`)
  if (!stderr.includes(c.variable)) failures.push(`${c.name}: message does not name ${c.variable}: ${stderr}`)
  const value = env[c.variable]
  // Credentials in a URL (`user:pw@`, a query's values) are shown redacted, never as set.
  const shown = c.variable === "ELECTRICITY_MAPS_API_URL" && value !== undefined ? redactUrl(value) : value
  if (
    shown !== undefined && !c.variable.startsWith("ELECTRICITY_MAPS_API_KEY") &&
    !stderr.includes(`${c.variable}=${JSON.stringify(shown)}`)
  ) {
    failures.push(`${c.name}: message does not show the value: ${stderr}`)
  }
  if (shown !== value && value !== undefined && stderr.includes(value)) failures.push(`${c.name}: credentials shown`)
  if (stderr.includes(KEY)) failures.push(`${c.name}: the key is in the message`)
  return failures
}

const groups: ReadonlyArray<{ readonly scenario: string; readonly pick: (c: (typeof cases)[number]) => boolean }> = [
  { scenario: "6 http:// refused for non-loopback hosts", pick: (c) => c.name.startsWith("http://") },
  { scenario: "6 zone keys with URL metacharacters refused", pick: (c) => c.name.startsWith("zone with") }
]

describe("5. bad configuration", () => {
  it("exits 2 naming the variable and its value, before any request, for every invalid value", async () => {
    const before = (await simulator.stats()).total
    const byCase = new Map<string, Array<string>>()
    for (const c of cases) byCase.set(c.name, await refuse(c))

    // Several at once: one message naming every one of them.
    const combined = spawnService({
      ELECTRICITY_MAPS_API_URL: "http://example.com/v3",
      POLL_INTERVAL_MINUTES: "0",
      EMISSION_FACTOR_TYPE: "indirect",
      ZONES: "DE,US/CAL",
      CACHE_FILE: join(tempDir("cfg"), "c.json")
    })
    const combinedCode = await combined.exited(15_000)
    keepEmitted(combined.stdout(), combined.stderr())
    const combinedFailures = [
      "ELECTRICITY_MAPS_API_KEY",
      "ELECTRICITY_MAPS_API_URL",
      "POLL_INTERVAL_MINUTES",
      "EMISSION_FACTOR_TYPE",
      "ZONES"
    ]
      .filter((variable) => !combined.stderr().includes(variable))
      .map((variable) => `combined: ${variable} not named`)
    if (combinedCode !== 2) combinedFailures.push(`combined: exit ${combinedCode}`)

    const requests = (await simulator.stats()).total - before
    const failures = [...[...byCase.values()].flat(), ...combinedFailures]
    record({
      scenario: "5 bad configuration",
      runs: cases.length + 1,
      failures: failures.length + requests,
      figures:
        `${cases.length} invalid settings one at a time and 5 at once: exit 2, message names each variable and value (never the key); ${requests} requests made${
          failures.length > 0 ? `; BROKE: ${failures.slice(0, 3).join(" | ")}` : ""
        }`
    })
    for (const group of groups) {
      const picked = cases.filter(group.pick)
      const broken = picked.flatMap((c) => byCase.get(c.name) ?? [])
      record({
        scenario: group.scenario,
        runs: picked.length,
        failures: broken.length,
        figures: picked.map((c) => c.name.replace(/^(http:\/\/ to a |zone with )/, "")).join(", ")
      })
    }
    expect(failures).toEqual([])
    expect(requests).toBe(0)
  })
})
