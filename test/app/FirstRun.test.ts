/**
 * What a new user meets first: the demo's table, the zones command without a key, and log lines
 * a person can read (one line per event, one line for a key every zone refuses).
 */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Logger, LogLevel, Option, Redacted } from "effect"
import { loadConfiguration, NO_KEY } from "../../src/config/Configuration.js"
import { flakyZoneOf } from "../../src/demo/FlakyZone.js"
import { renderPoll } from "../../src/demo/RankedTable.js"
import { jsonLogger, prettyLogger } from "../../src/observability/Logging.js"
import { Poller } from "../../src/poll/Poller.js"
import type { PollSummary } from "../../src/poll/PollSummary.js"
import { listZones } from "../../src/poll/ZoneCheck.js"
import { respond } from "../support/FakeApi.js"
import { makeHarness } from "../support/harness.js"
import { aCacheEntry, aFailure, EM_SOURCE } from "../support/samples.js"

const entry = (zone: string, timestamp: string) =>
  aCacheEntry(zone, 100, { datetime: "2026-11-27T12:00:00Z", updatedAt: "2026-11-27T12:00:00Z", timestamp })

describe("the demo", () => {
  it("marks a value fetched by this poll as fresh even when it arrived in an earlier second than the file", () => {
    const cache = {
      timestamp: "2026-11-27T12:00:01",
      ttl_minutes: 1,
      regions: { DE: entry("DE", "2026-11-27T12:00:00"), FR: entry("FR", "2026-11-27T11:59:30") },
      sorted_by_carbon: ["DE", "FR"],
      best_region: "DE",
      worst_region: "FR"
    }
    const summary: PollSummary = {
      fresh: [{ zone: "DE", fetchedAt: 0, reading: entry("DE", ""), source: EM_SOURCE }],
      failures: [aFailure("FR", "ServerError", "503")],
      ranked: Option.some(cache),
      written: Option.some(cache),
      outputFailures: [],
      durationMillis: 1200
    }
    const table = renderPoll(3, summary, cache, "c.json")
    const row = (zone: string) => table.split("\n").find((line) => line.includes(` ${zone} `)) ?? ""
    assert.match(row("DE"), /fresh$/)
    assert.match(row("FR"), /kept from 11:59:30$/)
  })

  it("fails a zone it actually polls, whatever ZONES says", () => {
    assert.strictEqual(flakyZoneOf(["DE", "FR", "SE"]), "FR")
    assert.strictEqual(flakyZoneOf(["DE"]), "DE")
  })
})

describe("the zones command needs no key", () => {
  it.effect("loads its configuration without one, and then sends no auth-token", () =>
    Effect.gen(function*() {
      const settings = yield* loadConfiguration({ stdoutIsTerminal: false, keyRequired: false }).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map())),
        Effect.provide(NodeFileSystem.layer)
      )
      assert.strictEqual(Redacted.value(settings.api.apiKey), Redacted.value(NO_KEY))
      const h = makeHarness({ settings: { apiKey: NO_KEY } })
      const lines = yield* h.run(listZones("texas"))
      assert.strictEqual(lines.length, 1)
      assert.isUndefined(h.api.requests[0]?.headers["auth-token"])
    }))
})

describe("log lines a person can read", () => {
  it.effect("a key every zone refuses is one warning line per poll, naming every zone", () =>
    Effect.gen(function*() {
      const refused = respond(
        401,
        JSON.stringify({ error: "Invalid auth-token", message: "The provided token is invalid" })
      )
      const zones = ["US-CAL-CISO", "US-TEX-ERCO", "US-NY-NYIS", "US-MIDA-PJM", "US-MIDW-MISO"]
      const h = makeHarness({
        api: { scripts: Object.fromEntries(zones.map((zone) => [zone, [refused]])) },
        settings: { zones }
      })
      yield* h.run(Effect.flatMap(Poller, (poller) => poller.pollOnce(zones)))
      const warnings = h.logLines.filter((line) => line.includes("\"WARN\""))
      assert.strictEqual(warnings.length, 1)
      assert.include(
        warnings[0]!,
        "5 zones (US-CAL-CISO, US-TEX-ERCO, US-NY-NYIS, US-MIDA-PJM, US-MIDW-MISO): Unauthorized"
      )
    }))

  it.effect("JSON lines carry no empty spans or fiber ids; pretty lines are one line per event", () =>
    Effect.gen(function*() {
      const json: Array<string> = []
      const pretty: Array<string> = []
      const capture = (target: Array<string>) => (line: string) => void target.push(line)
      yield* Effect.log("poll: 5/5 zones ok").pipe(
        Effect.annotateLogs({ event: "poll", zones_ok: 5 }),
        Effect.provide(
          Logger.replace(
            Logger.defaultLogger,
            Logger.zip(Logger.map(jsonLogger, capture(json)), Logger.map(prettyLogger, capture(pretty)))
          )
        ),
        Logger.withMinimumLogLevel(LogLevel.Info)
      )
      const parsed = JSON.parse(json[0]!) as Record<string, unknown>
      assert.deepStrictEqual(Object.keys(parsed).sort(), ["annotations", "logLevel", "message", "timestamp"])
      assert.strictEqual(pretty.length, 1)
      assert.notInclude(pretty[0]!, "\n")
      assert.match(pretty[0]!, /^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}poll: 5\/5 zones ok$/)
    }))
})
