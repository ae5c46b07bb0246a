/**
 * Like with like, judged while the configuration is read: a zone (first link or fallback) whose
 * provider cannot give the deployment's basis is one more problem in the one message that names
 * every bad variable, not a refusal of its own on the next start.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either } from "effect"
import { loadConfiguration } from "../../src/config/Configuration.js"
import type { ConfigIssue } from "../../src/config/Variables.js"

const KEY = "basis-check-test-key-0c41"

const load = (env: Record<string, string>, keyRequired = true) =>
  loadConfiguration({ stdoutIsTerminal: false, keyRequired }).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.provide(NodeFileSystem.layer),
    Effect.either
  )

/** The one refusal's issues and message; fails the test when the configuration loads. */
const refusal = (env: Record<string, string>) =>
  Effect.map(load(env), (result) => {
    assert.isTrue(Either.isLeft(result), "the configuration must be refused")
    const error = Either.isLeft(result) ? result.left : undefined
    return { issues: error?.issues ?? [], message: error?.message ?? "" }
  })

const variablesOf = (issues: ReadonlyArray<ConfigIssue>) => issues.map((issue) => issue.variable)

describe("the basis check joins the one configuration message", () => {
  it.effect("a bad POLL_INTERVAL_MINUTES and a UK zone in a lifecycle deployment: both in one message", () =>
    Effect.gen(function*() {
      const { issues, message } = yield* refusal({ POLL_INTERVAL_MINUTES: "0", ZONES: "ukci:national" })
      assert.deepStrictEqual(variablesOf(issues), ["POLL_INTERVAL_MINUTES", "ZONES"])
      assert.match(message, /invalid configuration \(2 problems\)/)
      assert.match(message, /POLL_INTERVAL_MINUTES="0"/)
      assert.include(
        message,
        "ZONES=\"ukci:national\": zone ukci:national: UK Carbon Intensity API gives average, direct values, but the deployment ranks average, lifecycle (SIGNAL=average, EMISSION_FACTOR_TYPE=lifecycle); values of different bases are never ranked together"
      )
    }))

  it.effect("an unreadable POLL_INTERVAL_MINUTES does not hide the mismatch", () =>
    Effect.gen(function*() {
      const { issues } = yield* refusal({ POLL_INTERVAL_MINUTES: "soon", ZONES: "ukci:13" })
      assert.deepStrictEqual(variablesOf(issues), ["POLL_INTERVAL_MINUTES", "ZONES"])
    }))

  it.effect("missing WattTime credentials and a SIGNAL WattTime cannot give: all in one message", () =>
    Effect.gen(function*() {
      const { issues, message } = yield* refusal({
        ZONES: "watttime:CAISO_NORTH",
        SIGNAL: "average",
        EMISSION_FACTOR_TYPE: "direct"
      })
      assert.deepStrictEqual(variablesOf(issues), ["ZONES", "WATTTIME_USERNAME", "WATTTIME_PASSWORD"])
      assert.match(
        message,
        /zone watttime:CAISO_NORTH: WattTime gives marginal, direct values, but the deployment ranks average, direct \(SIGNAL=average, EMISSION_FACTOR_TYPE=direct\)/
      )
    }))

  it.effect("a fallback is checked like a first link, and only the link that differs is named", () =>
    Effect.gen(function*() {
      const { issues, message } = yield* refusal({
        ELECTRICITY_MAPS_API_KEY: KEY,
        ZONES: "DE,GB|ukci:national",
        EMISSION_FACTOR_TYPE: "lifecycle"
      })
      assert.deepStrictEqual(issues.map((issue) => issue.value), ["GB|ukci:national"])
      assert.match(message, /zone ukci:national: UK Carbon Intensity API gives average, direct values/)
      assert.notMatch(message, /zone (DE|GB):/)
      assert.notInclude(message, KEY)
    }))

  it.effect("an average provider in a marginal deployment is refused too", () =>
    Effect.gen(function*() {
      const { message } = yield* refusal({
        ZONES: "watttime:CAISO_NORTH|ukci:national",
        SIGNAL: "marginal",
        EMISSION_FACTOR_TYPE: "direct",
        WATTTIME_USERNAME: "user",
        WATTTIME_PASSWORD: "password-7d1e"
      })
      assert.match(message, /zone ukci:national: UK Carbon Intensity API gives average, direct values/)
      assert.match(message, /the deployment ranks marginal, direct/)
      assert.notMatch(message, /zone watttime:CAISO_NORTH:/)
    }))

  it.effect("Electricity Maps gives either factor; a deployment of one basis throughout loads", () =>
    Effect.gen(function*() {
      for (const factor of ["lifecycle", "direct"]) {
        const loaded = yield* load({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: "DE", EMISSION_FACTOR_TYPE: factor })
        assert.isTrue(Either.isRight(loaded), `DE with EMISSION_FACTOR_TYPE=${factor}`)
      }
      const chain = yield* load({
        ELECTRICITY_MAPS_API_KEY: KEY,
        ZONES: "GB|ukci:national",
        EMISSION_FACTOR_TYPE: "direct"
      })
      assert.isTrue(Either.isRight(chain))
      const marginal = yield* load({
        ZONES: "watttime:CAISO_NORTH",
        SIGNAL: "marginal",
        EMISSION_FACTOR_TYPE: "direct",
        WATTTIME_USERNAME: "user",
        WATTTIME_PASSWORD: "password-7d1e"
      })
      assert.isTrue(Either.isRight(marginal))
    }))

  it.effect("listing the catalogue or printing the plan ranks nothing, so asks no basis of a zone", () =>
    Effect.gen(function*() {
      assert.isTrue(Either.isRight(yield* load({ ZONES: "ukci:national" }, false)))
    }))
})
