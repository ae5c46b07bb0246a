/**
 * Keys only where needed: each provider's credentials are required only when ZONES names one of
 * its zones, the UK Carbon Intensity API needs none, and every bad variable of every provider is
 * named in the one start-up message.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option, Redacted } from "effect"
import { loadConfiguration } from "../../src/config/Configuration.js"

const load = (env: Record<string, string>, keyRequired = true) =>
  loadConfiguration({ stdoutIsTerminal: false, keyRequired }).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.provide(NodeFileSystem.layer),
    Effect.either
  )

/** The variables the one message names (none when the configuration loads). */
const variablesNamed = (env: Record<string, string>, keyRequired = true) =>
  Effect.map(
    load(env, keyRequired),
    (result) =>
      Either.match(result, { onLeft: (error) => error.issues.map((issue) => issue.variable), onRight: () => [] })
  )

const CREDENTIALS = ["ELECTRICITY_MAPS_API_KEY", "WATTTIME_USERNAME", "WATTTIME_PASSWORD"]

const credentialsNamed = (env: Record<string, string>, keyRequired = true) =>
  Effect.map(variablesNamed(env, keyRequired), (named) => named.filter((v) => CREDENTIALS.includes(v)))

describe("keys only where needed", () => {
  it.effect("the default zones are Electricity Maps': its key is required, no WattTime login", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* credentialsNamed({}), ["ELECTRICITY_MAPS_API_KEY"])
    }))

  it.effect("UK zones alone need no credential at all", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* credentialsNamed({ ZONES: "ukci:13,ukci:national" }), [])
    }))

  it.effect("a WattTime zone needs the WattTime login and no Electricity Maps key", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* credentialsNamed({ ZONES: "watttime:CAISO_NORTH,ukci:13" }), [
        "WATTTIME_USERNAME",
        "WATTTIME_PASSWORD"
      ])
    }))

  it.effect("an Electricity Maps zone anywhere in a chain needs the key", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* credentialsNamed({ ZONES: "ukci:national|GB" }), ["ELECTRICITY_MAPS_API_KEY"])
      assert.deepStrictEqual(yield* credentialsNamed({ ZONES: "em:DE" }), ["ELECTRICITY_MAPS_API_KEY"])
    }))

  it.effect("the zones command asks for nothing it can do without", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* credentialsNamed({ ZONES: "watttime:CAISO_NORTH,DE" }, false), [])
    }))

  it.effect("a key set but not needed is still checked (a placeholder is a mistake wherever it is)", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(
        yield* credentialsNamed({ ZONES: "ukci:13", ELECTRICITY_MAPS_API_KEY: "replace-me" }),
        ["ELECTRICITY_MAPS_API_KEY"]
      )
    }))

  it.effect("the WattTime login, when given, reaches WattTimeConfig; the UK settings share the call knobs", () =>
    Effect.gen(function*() {
      const result = yield* load({
        ELECTRICITY_MAPS_API_KEY: "a-real-looking-key-123456",
        WATTTIME_USERNAME: "someone",
        WATTTIME_PASSWORD: "s3cret-pass",
        UKCI_API_URL: "http://127.0.0.1:8099/ukci",
        REQUEST_TIMEOUT_SECONDS: "7"
      })
      assert.isTrue(Either.isRight(result))
      if (Either.isLeft(result)) return
      const { ukci, watttime } = result.right
      assert.strictEqual(ukci.apiUrl, "http://127.0.0.1:8099/ukci")
      assert.strictEqual(watttime.apiUrl, "https://api.watttime.org")
      assert.strictEqual(ukci.requestTimeout, watttime.requestTimeout)
      const login = Option.getOrThrow(watttime.credentials)
      assert.strictEqual(Redacted.value(login.password), "s3cret-pass")
    }))
})

describe("every provider's bad variables in one message", () => {
  it.effect("names a bad UK URL, a bad WattTime URL and a half login together, secrets and URL credentials hidden", () =>
    Effect.gen(function*() {
      const result = yield* load({
        ZONES: "ukci:13",
        UKCI_API_URL: "http://user:pw@carbonintensity.example",
        WATTTIME_API_URL: "http://api.watttime.example",
        WATTTIME_PASSWORD: "hunter2-secret"
      })
      assert.isTrue(Either.isLeft(result))
      if (Either.isRight(result)) return
      // ZONES itself may be refused by a version of the zone parser that predates provider prefixes.
      const named = result.left.issues.map((issue) => issue.variable).filter((v) => v !== "ZONES")
      assert.deepStrictEqual(named, ["UKCI_API_URL", "WATTTIME_API_URL", "WATTTIME_USERNAME"])
      const message = result.left.message
      assert.notInclude(message, "hunter2-secret")
      assert.notInclude(message, "pw@")
      assert.match(message, /WATTTIME_API_URL.*plain http:\/\/ is allowed only for loopback hosts/)
    }))
})
