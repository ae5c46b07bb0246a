/** FORECAST_* variables, read and validated with the rest of the configuration. */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either } from "effect"
import { loadConfiguration } from "../../src/config/Configuration.js"
import type { ConfigIssue } from "../../src/config/Variables.js"

type RawEnvironment = Readonly<Record<string, string>>
const KEY = { ELECTRICITY_MAPS_API_KEY: "cfg-forecast-key" }

const load = (env: RawEnvironment) =>
  loadConfiguration({ stdoutIsTerminal: false, keyRequired: true }).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries({ ...KEY, ...env })))),
    Effect.provide(NodeFileSystem.layer)
  )

const issuesOf = (env: RawEnvironment): Effect.Effect<ReadonlyArray<ConfigIssue>> =>
  Effect.map(Effect.either(load(env)), Either.match({ onLeft: (error) => error.issues, onRight: () => [] }))

describe("forecast configuration", () => {
  it.effect("is off by default, with a 24-hour horizon refreshed every 60 minutes", () =>
    Effect.gen(function*() {
      const { forecast } = yield* load({})
      assert.deepStrictEqual(forecast, {
        forecastWindowsMinutes: [],
        forecastHorizonHours: 24,
        forecastRefreshMinutes: 60
      })
    }))

  it.effect("reads comma-separated window lengths, trimmed, in order, duplicates dropped", () =>
    Effect.gen(function*() {
      const { forecast } = yield* load({ FORECAST_WINDOWS_MINUTES: " 240, 60 ,240,60" })
      assert.deepStrictEqual(forecast.forecastWindowsMinutes, [240, 60])
    }))

  it.effect("an empty FORECAST_WINDOWS_MINUTES is off, as unset is", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual((yield* load({ FORECAST_WINDOWS_MINUTES: " " })).forecast.forecastWindowsMinutes, [])
    }))

  const bad: ReadonlyArray<readonly [string, RawEnvironment]> = [
    ["a zero length", { FORECAST_WINDOWS_MINUTES: "0,60" }],
    ["a negative length", { FORECAST_WINDOWS_MINUTES: "-60" }],
    ["a fractional length", { FORECAST_WINDOWS_MINUTES: "90.5" }],
    ["a word", { FORECAST_WINDOWS_MINUTES: "60,hour" }],
    ["a horizon of 0", { FORECAST_HORIZON_HOURS: "0" }],
    ["a horizon over 72", { FORECAST_HORIZON_HOURS: "73" }],
    ["a fractional horizon", { FORECAST_HORIZON_HOURS: "1.5" }],
    ["a refresh under 5 minutes", { FORECAST_REFRESH_MINUTES: "4" }],
    ["a refresh that is not a number", { FORECAST_REFRESH_MINUTES: "hourly" }]
  ]
  for (const [what, env] of bad) {
    it.effect(`refuses ${what}, naming the variable and its value`, () =>
      Effect.gen(function*() {
        const issues = yield* issuesOf(env)
        const [variable, value] = Object.entries(env)[0]!
        assert.deepStrictEqual(issues.map((issue) => [issue.variable, issue.value]), [[variable, value]])
      }))
  }

  it.effect("accepts the bounds: a 1-hour and a 72-hour horizon, a 5-minute refresh", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* load({ FORECAST_HORIZON_HOURS: "1" })).forecast.forecastHorizonHours, 1)
      assert.strictEqual((yield* load({ FORECAST_HORIZON_HOURS: "72" })).forecast.forecastHorizonHours, 72)
      assert.strictEqual((yield* load({ FORECAST_REFRESH_MINUTES: "5" })).forecast.forecastRefreshMinutes, 5)
    }))

  it.effect("refuses a window longer than the horizon, and accepts one exactly as long", () =>
    Effect.gen(function*() {
      const issues = yield* issuesOf({ FORECAST_WINDOWS_MINUTES: "60,300", FORECAST_HORIZON_HOURS: "4" })
      assert.deepStrictEqual(issues.map((issue) => issue.variable), ["FORECAST_WINDOWS_MINUTES"])
      assert.include(issues[0]!.expected, "300")
      assert.include(issues[0]!.expected, "240 minutes")
      const ok = yield* load({ FORECAST_WINDOWS_MINUTES: "240", FORECAST_HORIZON_HOURS: "4" })
      assert.deepStrictEqual(ok.forecast.forecastWindowsMinutes, [240])
    }))

  it.effect("reports forecast problems in the same message as every other bad variable", () =>
    Effect.gen(function*() {
      const issues = yield* issuesOf({
        POLL_INTERVAL_MINUTES: "0",
        FORECAST_WINDOWS_MINUTES: "x",
        FORECAST_HORIZON_HOURS: "99"
      })
      assert.deepStrictEqual(issues.map((issue) => issue.variable), [
        "POLL_INTERVAL_MINUTES",
        "FORECAST_WINDOWS_MINUTES",
        "FORECAST_HORIZON_HOURS"
      ])
    }))
})
