/**
 * Scenario 6c: the echoing upstream. The simulator answers with error messages that echo the key
 * (its `echo-key-error` fault): whole or half of it, after 0 to 300 filler characters (so the
 * service's 300-character cut falls before, inside and after it), written as JSON writes it (`\"`
 * and `\\` for the key's quote and backslash), as `\uXXXX`, with `\/`, and mixed; it also echoes
 * the key inside a successful answer and in the zone catalogue. The key itself holds a quote, a
 * backslash and a slash. No run of six or more of the key's characters may appear in anything the
 * service emits (stdout, stderr, the file, /cache, /metrics, /healthz, /readyz), read as written or
 * with JSON's escapes undone.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Simulator from "../../src/simulator/Simulator.js"
import {
  baseEnv,
  freePort,
  httpGet,
  keepEmitted,
  pollLines,
  record,
  spawnService,
  stop,
  tempDir,
  waitUntil
} from "./support.js"

/** Printable ASCII as a key must be, with every character JSON escapes specially. */
const ECHO_KEY = "rel-ECHO\"k\\ey/7f30c9a1d5e2"
const FRAGMENT = 6
const ZONES = ["DE", "FR", "PL", "SE", "ES", "NL", "BE", "AT"]
const OFFSETS = [0, 150, 250, 258, 264, 270, 276, 279, 300]
const ESCAPES = ["none", "unicode", "slash", "mixed"] as const
const PARTS = ["whole", "first-half"] as const
const STATUSES = [401, 500, 404, 400]

let simulator: Simulator.RunningSimulator
beforeAll(async () => {
  simulator = await Simulator.startSimulator({ port: 0, seed: 63, apiKey: ECHO_KEY })
})
afterAll(async () => {
  await simulator.close()
})

/** One level of JSON string escapes undone, so `\u0072` or `\"` cannot hide a fragment from the scan. */
const unescaped = (text: string): string =>
  text.replace(
    /\\(u[0-9a-fA-F]{4}|["\\/bfnrt])/g,
    (_, escape: string) =>
      escape.length === 5
        ? String.fromCharCode(parseInt(escape.slice(1), 16))
        : escape === "\\" || escape === "\"" || escape === "/"
        ? escape
        : " "
  )

/** Every run of `FRAGMENT` characters of the key found in the text, read as written or unescaped. */
const fragmentsIn = (text: string): Array<string> => {
  const views = [text, unescaped(text)]
  const found = new Set<string>()
  for (let i = 0; i + FRAGMENT <= ECHO_KEY.length; i++) {
    const fragment = ECHO_KEY.slice(i, i + FRAGMENT)
    if (views.some((view) => view.includes(fragment))) found.add(fragment)
  }
  return [...found]
}

describe("6c. the echoing upstream", () => {
  it("leaves no run of six characters of the key in anything the service emits", async () => {
    const cacheFile = join(tempDir("echoing"), "carbon_cache.json")
    const port = await freePort()
    // The catalogue echoes the key too, from the first request on.
    await simulator.setFaults([{ fault: { kind: "echo-key-error", offset: 270, escape: "mixed" }, route: "zones" }])
    const service = spawnService(
      baseEnv(simulator.baseUrl, cacheFile, {
        ELECTRICITY_MAPS_API_KEY: ECHO_KEY,
        ZONES: [...ZONES, "GB"].join(","),
        POLL_INTERVAL_MINUTES: "0.005",
        MAX_RETRIES: "1",
        LOG_LEVEL: "trace",
        HTTP_PORT: String(port)
      })
    )
    const texts: Array<readonly [string, string]> = []
    let combinations = 0
    try {
      expect(await waitUntil(() => pollLines(service).length >= 1, 15_000)).toBe(true)
      // Every combination of offset, escape, part and status, eight zones at a time; GB answers
      // 200 with the key in estimationMethod, in each escape the simulator has for it.
      const all = OFFSETS.flatMap((offset) =>
        ESCAPES.flatMap((escape) =>
          PARTS.map((part, i) => ({ offset, escape, part, status: STATUSES[(offset + i) % 4]! }))
        )
      )
      for (let round = 0; round * ZONES.length < all.length; round++) {
        const batch = all.slice(round * ZONES.length, (round + 1) * ZONES.length)
        const gbEscape = (["none", "unicode", "slash"] as const)[round % 3]!
        await simulator.setFaults([
          ...batch.map((fault, i) => ({ zone: ZONES[i]!, fault: { kind: "echo-key-error" as const, ...fault } })),
          { zone: "GB", fault: { kind: "echo-key", escape: gbEscape } },
          { fault: { kind: "echo-key-error", offset: 270, escape: "mixed" }, route: "zones" }
        ])
        combinations += batch.length
        const from = pollLines(service).length
        expect(await waitUntil(() => pollLines(service).length >= from + 2, 15_000)).toBe(true)
        for (const path of ["/cache", "/metrics", "/healthz", "/readyz"]) {
          texts.push([`round ${round} ${path}`, (await httpGet(port, path)).body])
        }
        try {
          texts.push([`round ${round} file`, readFileSync(cacheFile, "utf8")])
        } catch {
          // nothing written yet
        }
      }
    } finally {
      await simulator.clearFaults()
      const code = await stop(service, cacheFile)
      texts.push(["stdout", service.stdout()], ["stderr", service.stderr()])
      for (const [, text] of texts) keepEmitted(text)
      const leaks = texts.flatMap(([where, text]) =>
        fragmentsIn(text).map((fragment) => `${where}: ${JSON.stringify(fragment)}`)
      )
      const bytes = texts.reduce((n, [, text]) => n + text.length, 0)
      const problems = [...leaks, ...(code === 0 ? [] : [`exit ${code}`])]
      record({
        scenario: "6c the echoing upstream",
        runs: combinations,
        failures: problems.length,
        figures:
          `${combinations} error answers echoing the key (${OFFSETS.length} offsets × ${ESCAPES.length} escapes × whole/half, statuses ${
            STATUSES.join("/")
          }), the key in a 200's estimationMethod and in the catalogue's error, at LOG_LEVEL=trace: ${
            (bytes / 1024).toFixed(0)
          } KiB scanned (as written and unescaped), ${leaks.length} runs of ${FRAGMENT}+ key characters found${
            problems.length > 0 ? `; BROKE: ${problems.slice(0, 3).join(" | ")}` : ""
          }`
      })
      expect(problems).toEqual([])
    }
  })
})
