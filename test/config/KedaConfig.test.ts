/** KEDA_CONFIGMAP and KEDA_ZONE, through the loader: both or neither, a polled zone, forecasts on. */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option } from "effect"
import { loadConfiguration, VARIABLES } from "../../src/config/Configuration.js"
import type { ConfigIssue } from "../../src/config/Variables.js"

const BASE = { ELECTRICITY_MAPS_API_KEY: "keda-config-key", ZONES: "DE,FR", FORECAST_WINDOWS_MINUTES: "60" }

const load = (env: Readonly<Record<string, string>>) =>
  loadConfiguration({ stdoutIsTerminal: false, keyRequired: true }).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries({ ...BASE, ...env })))),
    Effect.provide(NodeFileSystem.layer),
    Effect.either
  )

const issuesOf = (env: Readonly<Record<string, string>>): Effect.Effect<ReadonlyArray<ConfigIssue>> =>
  Effect.map(load(env), Either.match({ onLeft: (error) => error.issues, onRight: () => [] }))

describe("KEDA configuration", () => {
  it.effect("is off when neither variable is set", () =>
    Effect.gen(function*() {
      const loaded = yield* load({})
      assert.isTrue(Either.isRight(loaded) && Option.isNone(loaded.right.keda.keda))
    }))

  it.effect("reads namespace/name and a zone of ZONES", () =>
    Effect.gen(function*() {
      const loaded = yield* load({ KEDA_CONFIGMAP: "carbon-aware/carbon-intensity", KEDA_ZONE: " DE " })
      const target = Either.isRight(loaded) ? Option.getOrUndefined(loaded.right.keda.keda) : undefined
      assert.deepStrictEqual(target?.configMap, { namespace: "carbon-aware", name: "carbon-intensity" })
      assert.strictEqual(target?.zone, "DE")
    }))

  it.effect("refuses one without the other, naming the missing one", () =>
    Effect.gen(function*() {
      const withoutZone = yield* issuesOf({ KEDA_CONFIGMAP: "carbon-aware/carbon-intensity" })
      assert.deepStrictEqual(withoutZone.map((issue) => issue.variable), ["KEDA_ZONE"])
      const withoutMap = yield* issuesOf({ KEDA_ZONE: "DE" })
      assert.deepStrictEqual(withoutMap.map((issue) => issue.variable), ["KEDA_CONFIGMAP"])
    }))

  it.effect("refuses a ConfigMap that is not namespace/name", () =>
    Effect.gen(function*() {
      const issues = yield* issuesOf({ KEDA_CONFIGMAP: "carbon-intensity", KEDA_ZONE: "DE" })
      assert.deepStrictEqual(issues.map((issue) => [issue.variable, issue.value]), [[
        "KEDA_CONFIGMAP",
        "carbon-intensity"
      ]])
      assert.match(issues[0]?.expected ?? "", /namespace\/name/)
    }))

  it.effect("refuses a zone that is not polled, listing ZONES", () =>
    Effect.gen(function*() {
      const issues = yield* issuesOf({ KEDA_CONFIGMAP: "carbon-aware/carbon-intensity", KEDA_ZONE: "US-CAL-CISO" })
      assert.deepStrictEqual(issues.map((issue) => [issue.variable, issue.value]), [["KEDA_ZONE", "US-CAL-CISO"]])
      assert.match(issues[0]?.expected ?? "", /one of ZONES \(DE, FR\)/)
    }))

  it.effect("refuses it with forecasts off: the ConfigMap would never be written", () =>
    Effect.gen(function*() {
      const issues = yield* issuesOf({
        KEDA_CONFIGMAP: "carbon-aware/carbon-intensity",
        KEDA_ZONE: "DE",
        FORECAST_WINDOWS_MINUTES: ""
      })
      assert.deepStrictEqual(issues.map((issue) => issue.variable), ["KEDA_CONFIGMAP"])
      assert.match(issues[0]?.expected ?? "", /FORECAST_WINDOWS_MINUTES/)
    }))

  it("lists both variables last, in the documented order", () => {
    assert.deepStrictEqual(VARIABLES.slice(-2), ["KEDA_CONFIGMAP", "KEDA_ZONE"])
  })
})
