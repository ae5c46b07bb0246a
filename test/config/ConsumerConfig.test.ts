import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option, Redacted } from "effect"
import { loadConfiguration } from "../../src/config/Configuration.js"

const KEY = "cfg-secret-3c1f0a"
const TOKEN = "consumer-token-7d2e91-never-shown"

const load = (env: Readonly<Record<string, string>>) =>
  loadConfiguration({ stdoutIsTerminal: false, keyRequired: true }).pipe(
    Effect.withConfigProvider(
      ConfigProvider.fromMap(new Map(Object.entries({ ELECTRICITY_MAPS_API_KEY: KEY, ...env })))
    ),
    Effect.provide(NodeFileSystem.layer)
  )

describe("CONSUMER_TOKEN", () => {
  it.effect("is off by default: the read API answers without a token", () =>
    Effect.gen(function*() {
      const settings = yield* load({})
      assert.isTrue(Option.isNone(settings.consumer.consumerToken))
    }))

  it.effect("is read from CONSUMER_TOKEN, trimmed", () =>
    Effect.gen(function*() {
      const settings = yield* load({ CONSUMER_TOKEN: ` ${TOKEN} ` })
      assert.deepStrictEqual(Option.map(settings.consumer.consumerToken, Redacted.value), Option.some(TOKEN))
    }))

  it.scoped("is read from CONSUMER_TOKEN_FILE, trimming a secret mount's newline", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      yield* fs.writeFileString(`${dir}/token`, `${TOKEN}\n`)
      const settings = yield* load({ CONSUMER_TOKEN_FILE: `${dir}/token` })
      assert.deepStrictEqual(Option.map(settings.consumer.consumerToken, Redacted.value), Option.some(TOKEN))
      const missing = yield* Effect.flip(load({ CONSUMER_TOKEN_FILE: `${dir}/absent` }))
      assert.match(missing.message, /CONSUMER_TOKEN_FILE=.*cannot read the token file \(NotFound/)
      yield* fs.writeFileString(`${dir}/empty`, "\n")
      const empty = yield* Effect.flip(load({ CONSUMER_TOKEN_FILE: `${dir}/empty` }))
      assert.match(empty.message, /CONSUMER_TOKEN_FILE=.*the file is empty/)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("refuses both variables, an empty token and one no header can carry, never showing it", () =>
    Effect.gen(function*() {
      const both = yield* Effect.flip(load({ CONSUMER_TOKEN: TOKEN, CONSUMER_TOKEN_FILE: "/run/secrets/token" }))
      assert.match(both.message, /CONSUMER_TOKEN_FILE.*not both/)
      const spaced = yield* Effect.flip(load({ CONSUMER_TOKEN: `${TOKEN} x` }))
      assert.match(spaced.message, /CONSUMER_TOKEN="<redacted>": the token must be a single line of printable ASCII/)
      const empty = yield* Effect.flip(load({ CONSUMER_TOKEN: " " }))
      assert.match(empty.message, /CONSUMER_TOKEN="<redacted>": must not be empty/)
      for (const error of [both, spaced]) assert.notInclude(error.message, TOKEN)
    }))

  it.scoped("reads at most a few KB of a token file and refuses a token no consumer would send", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      yield* fs.writeFileString(`${dir}/log`, `${TOKEN}\n`.repeat(1000))
      const large = yield* Effect.flip(load({ CONSUMER_TOKEN_FILE: `${dir}/log` }))
      assert.match(large.message, /CONSUMER_TOKEN_FILE=.*larger than 4096 bytes; it must hold only the consumer token/)
      assert.notInclude(large.message, TOKEN)
      const long = yield* Effect.flip(load({ CONSUMER_TOKEN: "x".repeat(513) }))
      assert.match(long.message, /CONSUMER_TOKEN="<redacted>": the token is 513 characters long/)
      assert.notInclude(long.message, "x".repeat(513))
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("joins the one message that names every bad variable, in order", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(load({ CONSUMER_TOKEN: "a b", POLL_INTERVAL_MINUTES: "0" }))
      assert.deepStrictEqual(error.issues.map((issue) => issue.variable), ["POLL_INTERVAL_MINUTES", "CONSUMER_TOKEN"])
    }))
})
