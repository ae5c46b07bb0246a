/**
 * The call budget: the planned calls per provider are what the service then spends (counted by
 * the stand-ins over an hour of virtual time), the `plan` command prints them, and a budget below
 * the plan stops the start with the smallest intervals that fit, which do fit.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Fiber, Layer, TestClock } from "effect"
import * as AppLayer from "../../src/app/AppLayer.js"
import { parseCommand } from "../../src/app/Cli.js"
import { planLines } from "../../src/app/Commands.js"
import { loadConfiguration } from "../../src/config/Configuration.js"
import { plannedCalls } from "../../src/domain/CallBudget.js"
import { CarbonSource } from "../../src/ports/CarbonSource.js"
import { makeHarness } from "../support/harness.js"
import { staticShape } from "../support/StaticSource.js"

const load = (env: Readonly<Record<string, string>>) =>
  loadConfiguration({ stdoutIsTerminal: false, keyRequired: true }).pipe(
    Effect.withConfigProvider(
      ConfigProvider.fromMap(new Map(Object.entries({ ELECTRICITY_MAPS_API_KEY: "k-123456", ...env })))
    ),
    Effect.provide(NodeFileSystem.layer)
  )

describe("the planned calls", () => {
  it.effect("equal the calls the stand-ins counted over the first hour", () =>
    Effect.gen(function*() {
      const asked: Array<string> = []
      const ukci = staticShape({ national: 150, "13": 120 }, {
        provider: "ukci",
        basis: { signal: "average", emissionFactorType: "direct" },
        asked
      })
      const app = AppLayer.assemble({
        sources: [AppLayer.sources[0], { provider: "ukci", layer: Layer.succeed(CarbonSource, ukci) }],
        outputs: AppLayer.outputs
      })
      const zones = ["DE", "FR", "GB|ukci:national", "ukci:13"]
      const h = makeHarness({
        api: { intensities: { DE: 300, FR: 50, GB: 200 }, answersFactorAsked: true },
        settings: { zones, emissionFactorType: "direct", pollIntervalMinutes: 5 }
      })
      const fiber = yield* Effect.fork(Effect.provide(Effect.never, h.over(app.ServiceLayer)))
      // Up to the last moment of the first hour: polls at 0, 5, …, 55 minutes.
      yield* TestClock.adjust("59 minutes")
      yield* TestClock.adjust("59 seconds")
      yield* Fiber.interrupt(fiber)
      const plan = plannedCalls({
        chains: (yield* Effect.either(load({ ZONES: zones.join(","), EMISSION_FACTOR_TYPE: "direct" }))).pipe(
          Either.match({ onLeft: () => [], onRight: (settings) => settings.polling.chains })
        ),
        pollIntervalMinutes: 5,
        forecastRefreshMinutes: undefined
      })
      const planned = Object.fromEntries(plan.map((calls) => [calls.provider, calls.perHour]))
      assert.deepStrictEqual(planned, { electricitymaps: 1 + 3 * 12, ukci: 12 })
      assert.strictEqual(h.api.requests.length, planned["electricitymaps"])
      assert.strictEqual(asked.length, planned["ukci"])
    }))
})

describe("the plan command", () => {
  it("is a command beside zones", () => {
    assert.deepStrictEqual(parseCommand(["plan"]), { _tag: "Plan" })
    assert.strictEqual(parseCommand(["plan", "x"])._tag, "UsageError")
  })

  it.effect("says each provider's calls per hour and per 30 days, with its budget", () =>
    Effect.gen(function*() {
      const h = makeHarness({ settings: { zones: ["DE", "FR"], monthlyCalls: { electricitymaps: 100_000 } } })
      const lines = yield* planLines.pipe(Effect.provide(h.over(Layer.empty)))
      assert.deepStrictEqual(lines.map(({ line }) => line), [
        "Electricity Maps: 2 zones, 25 calls in the first hour, 17,281 per 30 days (budget 100,000)"
      ])
    }))
})

describe("a monthly call budget", () => {
  it.effect("refuses a plan above it at start, naming the smallest intervals that fit, which fit", () =>
    Effect.gen(function*() {
      const env = { ZONES: "DE,FR", ELECTRICITY_MAPS_MONTHLY_CALLS: "1000" }
      const refused = yield* Effect.flip(load(env))
      const issue = refused.issues.find((each) => each.variable === "ELECTRICITY_MAPS_MONTHLY_CALLS")
      assert.isDefined(issue)
      assert.match(issue!.expected, /the plan needs 17,281 Electricity Maps calls per 30 days, more than 1,000/)
      const interval = /POLL_INTERVAL_MINUTES=([\d.]+)/.exec(issue!.expected)?.[1]
      assert.isDefined(interval)
      // The interval it names is accepted, and a tenth of a minute less is not.
      const fits = yield* Effect.either(load({ ...env, POLL_INTERVAL_MINUTES: interval! }))
      assert.isTrue(Either.isRight(fits))
      const less = String(Math.round((Number(interval) - 0.1) * 10) / 10)
      assert.isTrue(Either.isLeft(yield* Effect.either(load({ ...env, POLL_INTERVAL_MINUTES: less }))))
    }))

  it.effect("names the forecast refresh too when the forecasts alone would not fit", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.flip(load({
        ZONES: "DE,FR",
        FORECAST_WINDOWS_MINUTES: "60",
        FORECAST_REFRESH_MINUTES: "5",
        ELECTRICITY_MAPS_MONTHLY_CALLS: "2000"
      }))
      const issue = refused.issues.find((each) => each.variable === "ELECTRICITY_MAPS_MONTHLY_CALLS")
      assert.match(issue?.expected ?? "", /POLL_INTERVAL_MINUTES=[\d.]+ and FORECAST_REFRESH_MINUTES=[\d.]+/)
    }))

  it.effect("counts only its own provider's calls", () =>
    Effect.gen(function*() {
      const ok = yield* Effect.either(
        load({ ZONES: "DE", ELECTRICITY_MAPS_MONTHLY_CALLS: "9000", WATTTIME_MONTHLY_CALLS: "1" })
      )
      assert.isTrue(Either.isRight(ok), "no WattTime zone: its budget is not spent")
    }))

  it.effect("is a whole number", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.flip(load({ ELECTRICITY_MAPS_MONTHLY_CALLS: "lots" }))
      assert.match(
        refused.message,
        /ELECTRICITY_MAPS_MONTHLY_CALLS="lots": must be a whole number of calls per 30 days/
      )
    }))
})
