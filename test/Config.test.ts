import { FileSystem, Path } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Exit, Layer, LogLevel, Redacted } from "effect"
import { InvalidConfig, loadSettings, validateSettings, type RawEnvironment, type Settings } from "../src/Config.js"

const KEY = "cfg-secret-3c1f0a"
const noKeyFile = { _tag: "NotConfigured" } as const
const validate = (env: RawEnvironment, stdoutIsTerminal = false) =>
  validateSettings(env, { stdoutIsTerminal, keyFile: noKeyFile })

const settingsOf = (env: RawEnvironment): Settings => {
  const result = validate(env)
  if (result._tag === "Invalid") throw new Error(JSON.stringify(result.issues))
  return result.settings
}
const issuesOf = (env: RawEnvironment) => {
  const result = validate(env)
  return result._tag === "Invalid" ? result.issues : []
}
const variablesOf = (env: RawEnvironment) => issuesOf(env).map((i) => i.variable)

describe("configuration", () => {
  it("applies the contract's defaults", () => {
    const s = settingsOf({ ELECTRICITY_MAPS_API_KEY: KEY })
    assert.strictEqual(Redacted.value(s.apiKey), KEY)
    assert.strictEqual(s.pollIntervalMinutes, 5)
    assert.strictEqual(s.cacheTtlMinutes, 10)
    assert.strictEqual(s.cacheFile, "/cache/carbon_cache.json")
    assert.deepStrictEqual(s.zones, ["US-CAL-CISO", "US-TEX-ERCO", "US-NY-NYIS", "US-MIDA-PJM", "US-MIDW-MISO"])
    assert.strictEqual(s.apiUrl, "https://api.electricitymaps.com/v3")
    assert.strictEqual(s.emissionFactorType, "lifecycle")
    assert.strictEqual(s.maxConcurrency, 5)
    assert.isTrue(Duration.equals(s.requestTimeout, Duration.seconds(10)))
    assert.strictEqual(s.maxRetries, 3)
    assert.strictEqual(s.httpPort, 9477)
    assert.strictEqual(s.logLevel, LogLevel.Info)
  })

  it("logs JSON unless stdout is a terminal, and LOG_FORMAT overrides", () => {
    assert.strictEqual(settingsOf({ ELECTRICITY_MAPS_API_KEY: KEY }).logFormat, "json")
    const onTerminal = validate({ ELECTRICITY_MAPS_API_KEY: KEY }, true)
    assert.strictEqual(onTerminal._tag === "Valid" && onTerminal.settings.logFormat, "pretty")
    assert.strictEqual(settingsOf({ ELECTRICITY_MAPS_API_KEY: KEY, LOG_FORMAT: "pretty" }).logFormat, "pretty")
  })

  it("trims zone keys, drops duplicates and keeps case", () => {
    assert.deepStrictEqual(settingsOf({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: " DE, FR ,DE,us-cal-ciso," }).zones, ["DE", "FR", "us-cal-ciso"])
  })

  it("accepts fractional minutes and a loopback http URL", () => {
    const s = settingsOf({
      ELECTRICITY_MAPS_API_KEY: KEY,
      POLL_INTERVAL_MINUTES: "0.5",
      CACHE_TTL_MINUTES: "1.5",
      ELECTRICITY_MAPS_API_URL: "http://127.0.0.1:8099/v3/"
    })
    assert.strictEqual(s.pollIntervalMinutes, 0.5)
    assert.strictEqual(s.apiUrl, "http://127.0.0.1:8099/v3")
  })

  it("warns, but accepts, a TTL shorter than the poll interval", () => {
    const s = settingsOf({ ELECTRICITY_MAPS_API_KEY: KEY, POLL_INTERVAL_MINUTES: "10", CACHE_TTL_MINUTES: "5" })
    assert.strictEqual(s.warnings.length, 1)
    assert.match(s.warnings[0]!, /CACHE_TTL_MINUTES \(5\) is smaller than POLL_INTERVAL_MINUTES \(10\)/)
  })

  const invalid: ReadonlyArray<[string, RawEnvironment, string, RegExp]> = [
    ["an empty key", { ELECTRICITY_MAPS_API_KEY: "  " }, "ELECTRICITY_MAPS_API_KEY", /required/],
    ["POLL_INTERVAL_MINUTES=0", { POLL_INTERVAL_MINUTES: "0" }, "POLL_INTERVAL_MINUTES", /positive number/],
    ["POLL_INTERVAL_MINUTES=-1", { POLL_INTERVAL_MINUTES: "-1" }, "POLL_INTERVAL_MINUTES", /positive number/],
    ["POLL_INTERVAL_MINUTES=five", { POLL_INTERVAL_MINUTES: "five" }, "POLL_INTERVAL_MINUTES", /positive number/],
    ["CACHE_TTL_MINUTES=0", { CACHE_TTL_MINUTES: "0" }, "CACHE_TTL_MINUTES", /positive number/],
    ["EMISSION_FACTOR_TYPE=indirect", { EMISSION_FACTOR_TYPE: "indirect" }, "EMISSION_FACTOR_TYPE", /lifecycle or direct/],
    ["an empty ZONES", { ZONES: "" }, "ZONES", /at least one zone/],
    ["ZONES of commas", { ZONES: " , ," }, "ZONES", /at least one zone/],
    ["a zone key with /", { ZONES: "DE,US/CAL" }, "ZONES", /"US\/CAL"/],
    ["a zone key with ?", { ZONES: "DE?x=1" }, "ZONES", /"DE\?x=1"/],
    ["a zone key with &", { ZONES: "DE&zone=FR" }, "ZONES", /"DE&zone=FR"/],
    ["a zone key with a space inside", { ZONES: "US CAL" }, "ZONES", /"US CAL"/],
    ["http:// to a remote host", { ELECTRICITY_MAPS_API_URL: "http://api.electricitymaps.com/v3" }, "ELECTRICITY_MAPS_API_URL", /loopback/],
    ["a URL that is not one", { ELECTRICITY_MAPS_API_URL: "api.electricitymaps.com" }, "ELECTRICITY_MAPS_API_URL", /absolute URL/],
    ["MAX_CONCURRENCY=0", { MAX_CONCURRENCY: "0" }, "MAX_CONCURRENCY", /whole number from 1/],
    ["MAX_CONCURRENCY=2.5", { MAX_CONCURRENCY: "2.5" }, "MAX_CONCURRENCY", /whole number/],
    ["REQUEST_TIMEOUT_SECONDS=0", { REQUEST_TIMEOUT_SECONDS: "0" }, "REQUEST_TIMEOUT_SECONDS", /positive number/],
    ["MAX_RETRIES=-1", { MAX_RETRIES: "-1" }, "MAX_RETRIES", /whole number from 0/],
    ["LOG_FORMAT=xml", { LOG_FORMAT: "xml" }, "LOG_FORMAT", /json or pretty/],
    ["LOG_LEVEL=loud", { LOG_LEVEL: "loud" }, "LOG_LEVEL", /one of/],
    ["HTTP_PORT=70000", { HTTP_PORT: "70000" }, "HTTP_PORT", /0 to 65535/],
    ["MAX_REQUESTS_PER_SECOND=-2", { MAX_REQUESTS_PER_SECOND: "-2" }, "MAX_REQUESTS_PER_SECOND", /positive number/]
  ]
  for (const [name, env, variable, expected] of invalid) {
    it(`names ${variable} for ${name}`, () => {
      const issues = issuesOf({ ELECTRICITY_MAPS_API_KEY: KEY, ...env })
      assert.deepStrictEqual(issues.map((i) => i.variable), [variable])
      assert.match(issues[0]!.expected, expected)
    })
  }

  it("names ELECTRICITY_MAPS_API_KEY when no key is set at all", () => {
    const issues = issuesOf({})
    assert.deepStrictEqual(issues.map((i) => i.variable), ["ELECTRICITY_MAPS_API_KEY"])
    assert.match(new InvalidConfig({ issues }).message, /ELECTRICITY_MAPS_API_KEY \(not set\): required/)
  })

  it("reports every bad variable in one message, with its value and what would be valid", () => {
    const issues = issuesOf({ POLL_INTERVAL_MINUTES: "0", EMISSION_FACTOR_TYPE: "indirect", ZONES: "", LOG_FORMAT: "xml" })
    const message = new InvalidConfig({ issues }).message
    assert.deepStrictEqual(variablesOf({ POLL_INTERVAL_MINUTES: "0", EMISSION_FACTOR_TYPE: "indirect", ZONES: "", LOG_FORMAT: "xml" }), [
      "ELECTRICITY_MAPS_API_KEY",
      "POLL_INTERVAL_MINUTES",
      "ZONES",
      "EMISSION_FACTOR_TYPE",
      "LOG_FORMAT"
    ])
    assert.match(message, /5 problems/)
    assert.match(message, /POLL_INTERVAL_MINUTES="0": must be a positive number/)
    assert.match(message, /EMISSION_FACTOR_TYPE="indirect": must be lifecycle or direct/)
  })

  it("never echoes the key, even when the key itself is the problem", () => {
    const issues = issuesOf({ ELECTRICITY_MAPS_API_KEY: `${KEY}\nsecond-line` })
    assert.deepStrictEqual(issues.map((i) => i.variable), ["ELECTRICITY_MAPS_API_KEY"])
    assert.notInclude(new InvalidConfig({ issues }).message, KEY)
    assert.include(new InvalidConfig({ issues }).message, "<redacted>")
  })

  it("refuses both key variables at once", () => {
    const result = validateSettings(
      { ELECTRICITY_MAPS_API_KEY: KEY, ELECTRICITY_MAPS_API_KEY_FILE: "/run/secrets/key" },
      { stdoutIsTerminal: false, keyFile: noKeyFile }
    )
    assert.strictEqual(result._tag, "Invalid")
    assert.match(result._tag === "Invalid" ? result.issues[0]!.expected : "", /not both/)
  })

  describe("loadSettings through ConfigProvider and FileSystem", () => {
    const load = (env: Record<string, string>) =>
      loadSettings({ stdoutIsTerminal: false }).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))

    it.scoped("reads the key from ELECTRICITY_MAPS_API_KEY_FILE, trimming the newline of a secret mount", () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const path = yield* Path.Path
        const dir = yield* fs.makeTempDirectoryScoped()
        const keyFile = path.join(dir, "key")
        yield* fs.writeFileString(keyFile, `${KEY}\n`)
        const settings = yield* load({ ELECTRICITY_MAPS_API_KEY_FILE: keyFile })
        assert.strictEqual(Redacted.value(settings.apiKey), KEY)
      }).pipe(Effect.provide(Layer.merge(NodeFileSystem.layer, Path.layer)))
    )

    it.scoped("names the key file when it is missing or empty", () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* fs.makeTempDirectoryScoped()
        const missing = yield* Effect.exit(load({ ELECTRICITY_MAPS_API_KEY_FILE: `${dir}/absent` }))
        assert.isTrue(Exit.isFailure(missing))
        assert.match(String(Exit.isFailure(missing) && missing.cause), /ELECTRICITY_MAPS_API_KEY_FILE.*cannot read the key file \(NotFound/)
        yield* fs.writeFileString(`${dir}/empty`, "\n")
        const empty = yield* Effect.flip(load({ ELECTRICITY_MAPS_API_KEY_FILE: `${dir}/empty` }))
        assert.match(empty.message, /ELECTRICITY_MAPS_API_KEY_FILE=.*the file is empty/)
      }).pipe(Effect.provide(NodeFileSystem.layer))
    )

    it.effect("fails with InvalidConfig before anything else happens", () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(load({ POLL_INTERVAL_MINUTES: "0" }))
        assert.strictEqual(error._tag, "InvalidConfig")
        assert.deepStrictEqual(error.issues.map((i) => i.variable), ["ELECTRICITY_MAPS_API_KEY", "POLL_INTERVAL_MINUTES"])
      }).pipe(Effect.provide(NodeFileSystem.layer))
    )
  })
})
