import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option, Redacted } from "effect"
import type { ConfigIssue } from "../../src/config/Variables.js"
import { loadWattTimeSettings, MAX_CREDENTIAL_FILE_BYTES } from "../../src/config/WattTimeConfig.js"

const PASSWORD = "wt-pass-7d1e2c-must-never-leak"

const load = (env: Readonly<Record<string, string>>) =>
  loadWattTimeSettings.pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.provide(NodeFileSystem.layer)
  )

const issuesOf = (env: Readonly<Record<string, string>>): Effect.Effect<ReadonlyArray<ConfigIssue>> =>
  Effect.map(Effect.either(load(env)), Either.match({ onLeft: (error) => error.issues, onRight: () => [] }))

describe("WattTime configuration", () => {
  it.effect("defaults to https://api.watttime.org and no login", () =>
    Effect.gen(function*() {
      const settings = yield* load({})
      assert.strictEqual(settings.apiUrl, "https://api.watttime.org")
      assert.isTrue(Option.isNone(settings.credentials))
    }))

  it.effect("takes the username and password from the environment", () =>
    Effect.gen(function*() {
      const settings = yield* load({ WATTTIME_USERNAME: "ops", WATTTIME_PASSWORD: PASSWORD })
      const credentials = Option.getOrThrow(settings.credentials)
      assert.strictEqual(Redacted.value(credentials.username), "ops")
      assert.strictEqual(Redacted.value(credentials.password), PASSWORD)
      assert.notInclude(String(credentials.password), PASSWORD)
    }))

  it.effect("accepts http:// for a loopback host only, and names the variable otherwise", () =>
    Effect.gen(function*() {
      const loopback = yield* load({ WATTTIME_API_URL: "http://127.0.0.1:8099/" })
      assert.strictEqual(loopback.apiUrl, "http://127.0.0.1:8099")
      const issues = yield* issuesOf({ WATTTIME_API_URL: "http://watttime.example.com" })
      assert.deepStrictEqual(issues.map((i) => i.variable), ["WATTTIME_API_URL"])
      assert.match(issues[0]?.expected ?? "", /loopback hosts.*the password and the token are not sent in clear text/)
    }))

  it.effect("asks for the partner when only one of username and password is set", () =>
    Effect.gen(function*() {
      const noPassword = yield* issuesOf({ WATTTIME_USERNAME: "ops" })
      assert.deepStrictEqual(noPassword.map((i) => i.variable), ["WATTTIME_PASSWORD"])
      const noUsername = yield* issuesOf({ WATTTIME_PASSWORD: PASSWORD })
      assert.deepStrictEqual(noUsername.map((i) => i.variable), ["WATTTIME_USERNAME"])
    }))

  it.effect("refuses a variable and its _FILE together", () =>
    Effect.gen(function*() {
      const issues = yield* issuesOf({
        WATTTIME_USERNAME: "ops",
        WATTTIME_PASSWORD: PASSWORD,
        WATTTIME_PASSWORD_FILE: "/run/secrets/wt"
      })
      assert.deepStrictEqual(issues.map((i) => i.variable), ["WATTTIME_PASSWORD_FILE"])
      assert.match(issues[0]?.expected ?? "", /either WATTTIME_PASSWORD or WATTTIME_PASSWORD_FILE, not both/)
    }))

  it.effect("refuses a username with a colon and a password with a control character, never showing either", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(load({ WATTTIME_USERNAME: "o:ps", WATTTIME_PASSWORD: `${PASSWORD}\u001b` }))
      assert.deepStrictEqual(error.issues.map((i) => i.variable), ["WATTTIME_USERNAME", "WATTTIME_PASSWORD"])
      assert.notInclude(error.message, PASSWORD)
      assert.notInclude(error.message, "o:ps")
      assert.include(error.message, "<redacted>")
    }))

  describe("credential files, through FileSystem", () => {
    it.scoped("reads both from files, dropping the line ending a secret mount adds", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* fs.makeTempDirectoryScoped()
        yield* fs.writeFileString(`${dir}/user`, "ops\n")
        yield* fs.writeFileString(`${dir}/pass`, `${PASSWORD}\r\n`)
        const settings = yield* load({
          WATTTIME_USERNAME_FILE: `${dir}/user`,
          WATTTIME_PASSWORD_FILE: `${dir}/pass`
        })
        const credentials = Option.getOrThrow(settings.credentials)
        assert.strictEqual(Redacted.value(credentials.username), "ops")
        assert.strictEqual(Redacted.value(credentials.password), PASSWORD)
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("refuses a file larger than the bound, a directory and a missing file, naming each", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* fs.makeTempDirectoryScoped()
        yield* fs.writeFileString(`${dir}/huge`, "x".repeat(MAX_CREDENTIAL_FILE_BYTES + 1))
        const huge = yield* issuesOf({ WATTTIME_USERNAME: "ops", WATTTIME_PASSWORD_FILE: `${dir}/huge` })
        assert.deepStrictEqual(huge.map((i) => i.variable), ["WATTTIME_PASSWORD_FILE"])
        assert.match(huge[0]?.expected ?? "", /larger than 4096 bytes/)
        const directory = yield* issuesOf({ WATTTIME_USERNAME_FILE: dir, WATTTIME_PASSWORD: PASSWORD })
        assert.match(
          directory[0]?.expected ?? "",
          /must be a regular file holding the WattTime username, not a directory/
        )
        const missing = yield* issuesOf({ WATTTIME_USERNAME: "ops", WATTTIME_PASSWORD_FILE: `${dir}/absent` })
        assert.match(missing[0]?.expected ?? "", /cannot read the password file \(NotFound/)
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("reads a file of exactly the bound", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* fs.makeTempDirectoryScoped()
        yield* fs.writeFileString(`${dir}/pass`, "p".repeat(MAX_CREDENTIAL_FILE_BYTES))
        const settings = yield* load({ WATTTIME_USERNAME: "ops", WATTTIME_PASSWORD_FILE: `${dir}/pass` })
        const credentials = Option.getOrThrow(settings.credentials)
        assert.strictEqual(Redacted.value(credentials.password).length, MAX_CREDENTIAL_FILE_BYTES)
      }).pipe(Effect.provide(NodeFileSystem.layer)))
  })
})
