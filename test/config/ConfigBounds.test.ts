/**
 * Every numeric knob has an upper bound, named in the message that refuses it, so that no time the
 * service writes can pass year 9999; the one message still names every bad variable.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Schema, TestClock } from "effect"
import { loadConfiguration } from "../../src/config/Configuration.js"
import { CacheFile } from "../../src/domain/CacheFile.js"
import { Poller } from "../../src/poll/Poller.js"
import { makeHarness } from "../support/harness.js"

const load = (env: Readonly<Record<string, string>>) =>
  loadConfiguration({ stdoutIsTerminal: false, keyRequired: true }).pipe(
    Effect.withConfigProvider(
      ConfigProvider.fromMap(new Map(Object.entries({ ELECTRICITY_MAPS_API_KEY: "k", ...env })))
    ),
    Effect.provide(NodeFileSystem.layer)
  )

describe("upper bounds of the numeric knobs", () => {
  it.effect("refuses values past each bound in one message that names every variable and its bound", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(load({
        POLL_INTERVAL_MINUTES: "100000000",
        CACHE_TTL_MINUTES: "1000000000",
        FORECAST_REFRESH_MINUTES: "99999999"
      }))
      assert.match(error.message, /invalid configuration \(3 problems\)/)
      assert.match(error.message, /POLL_INTERVAL_MINUTES="100000000": must be a positive number of minutes up to 10080/)
      assert.match(error.message, /CACHE_TTL_MINUTES="1000000000": must be a positive number of minutes up to 10080/)
      assert.match(
        error.message,
        /FORECAST_REFRESH_MINUTES="99999999": must be a positive number of minutes at least 5 and up to 4320/
      )
    }))

  it.effect("accepts each bound itself", () =>
    Effect.gen(function*() {
      const settings = yield* load({
        POLL_INTERVAL_MINUTES: "10080",
        CACHE_TTL_MINUTES: "10080",
        FORECAST_REFRESH_MINUTES: "4320"
      })
      assert.strictEqual(settings.cache.cacheTtlMinutes, 10_080)
      assert.strictEqual(settings.polling.pollIntervalMinutes, 10_080)
      assert.strictEqual(settings.forecast.forecastRefreshMinutes, 4_320)
    }))

  it.effect("a poll with the longest TTL writes an expiry a reader can parse", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 10, 27, 12, 20, 0))
      const h = makeHarness({ api: { intensities: { DE: 300 } }, settings: { zones: ["DE"], cacheTtlMinutes: 10_080 } })
      const summary = yield* h.run(Effect.flatMap(Poller, (poller) => poller.pollOnce(["DE"])))
      assert.isTrue(summary.written._tag === "Some")
      const file = Schema.decodeUnknownSync(Schema.parseJson(CacheFile))(h.memory.read("/cache/carbon_cache.json"))
      assert.strictEqual(file.expires_at, "2026-12-04T12:20:00Z")
    }))
})
