import { FileSystem, Path } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, Exit, Layer, LogLevel, Redacted } from "effect"
import { type Configuration, loadConfiguration } from "../../src/config/Configuration.js"
import { type ConfigIssue, InvalidConfig } from "../../src/config/Variables.js"

const KEY = "cfg-secret-3c1f0a"
type RawEnvironment = Readonly<Record<string, string>>

/** The configuration as the service would load it from these variables (no key file involved). */
const load = (env: RawEnvironment, stdoutIsTerminal = false) =>
  loadConfiguration({ stdoutIsTerminal, keyRequired: true }).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.provide(NodeFileSystem.layer)
  )

const settingsOf = (env: RawEnvironment): Effect.Effect<Configuration, InvalidConfig> => load(env)
const issuesOf = (env: RawEnvironment): Effect.Effect<ReadonlyArray<ConfigIssue>> =>
  Effect.map(Effect.either(load(env)), Either.match({ onLeft: (error) => error.issues, onRight: () => [] }))
const variablesOf = (env: RawEnvironment) => Effect.map(issuesOf(env), (issues) => issues.map((i) => i.variable))

describe("configuration", () => {
  it.effect("applies the documented defaults", () =>
    Effect.gen(function*() {
      const s = yield* settingsOf({ ELECTRICITY_MAPS_API_KEY: KEY })
      assert.strictEqual(Redacted.value(s.api.apiKey), KEY)
      assert.strictEqual(s.polling.pollIntervalMinutes, 5)
      assert.strictEqual(s.cache.cacheTtlMinutes, 10)
      assert.strictEqual(s.cache.cacheFile, "/cache/carbon_cache.json")
      assert.deepStrictEqual(s.polling.zones, [
        "US-CAL-CISO",
        "US-TEX-ERCO",
        "US-NY-NYIS",
        "US-MIDA-PJM",
        "US-MIDW-MISO"
      ])
      assert.strictEqual(s.api.apiUrl, "https://api.electricitymaps.com/v4")
      assert.strictEqual(s.basis.emissionFactorType, "lifecycle")
      assert.strictEqual(s.polling.maxConcurrency, 5)
      assert.strictEqual(s.polling.maxReadingAgeMinutes, 180)
      assert.isTrue(Duration.equals(s.api.requestTimeout, Duration.seconds(10)))
      assert.strictEqual(s.api.maxRetries, 3)
      assert.strictEqual(s.http.httpPort, 9477)
      assert.strictEqual(s.http.httpHost, "0.0.0.0")
      assert.strictEqual(s.logging.logLevel, LogLevel.Info)
      assert.deepStrictEqual(s.warnings, [])
    }))

  it.effect("logs JSON unless stdout is a terminal, and LOG_FORMAT overrides", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* settingsOf({ ELECTRICITY_MAPS_API_KEY: KEY })).logging.logFormat, "json")
      assert.strictEqual((yield* load({ ELECTRICITY_MAPS_API_KEY: KEY }, true)).logging.logFormat, "pretty")
      assert.strictEqual(
        (yield* settingsOf({ ELECTRICITY_MAPS_API_KEY: KEY, LOG_FORMAT: "pretty" })).logging.logFormat,
        "pretty"
      )
    }))

  it.effect("trims zone keys, drops duplicates and keeps case", () =>
    Effect.gen(function*() {
      const s = yield* settingsOf({ ELECTRICITY_MAPS_API_KEY: KEY, ZONES: " DE, FR ,DE,us-cal-ciso," })
      assert.deepStrictEqual(s.polling.zones, ["DE", "FR", "us-cal-ciso"])
    }))

  it.effect("reads ZONES as chains: each entry's first key is its key, the links in order", () =>
    Effect.gen(function*() {
      const s = yield* settingsOf({
        ELECTRICITY_MAPS_API_KEY: KEY,
        ZONES: "DE, GB | ukci:national ,ukci:13",
        EMISSION_FACTOR_TYPE: "direct"
      })
      assert.deepStrictEqual(s.polling.zones, ["DE", "GB", "ukci:13"])
      assert.deepStrictEqual(
        s.polling.chains.map((chain) => chain.links.map((link) => `${link.provider}/${link.id}`)),
        [["electricitymaps/DE"], ["electricitymaps/GB", "ukci/national"], ["ukci/13"]]
      )
    }))

  it.effect("ranks average values unless SIGNAL says marginal", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* settingsOf({ ELECTRICITY_MAPS_API_KEY: KEY })).basis.signal, "average")
      // Marginal values are WattTime's, of the direct factor: a deployment of that basis.
      const marginal = yield* settingsOf({
        ZONES: "watttime:CAISO_NORTH",
        WATTTIME_USERNAME: "user",
        WATTTIME_PASSWORD: "password-5b2c",
        SIGNAL: " marginal ",
        EMISSION_FACTOR_TYPE: "direct"
      })
      assert.deepStrictEqual(marginal.basis, { signal: "marginal", emissionFactorType: "direct" })
    }))

  it.effect("accepts fractional minutes and a loopback http URL", () =>
    Effect.gen(function*() {
      const s = yield* settingsOf({
        ELECTRICITY_MAPS_API_KEY: KEY,
        POLL_INTERVAL_MINUTES: "0.5",
        CACHE_TTL_MINUTES: "1.5",
        ELECTRICITY_MAPS_API_URL: "http://127.0.0.1:8099/v4/"
      })
      assert.strictEqual(s.polling.pollIntervalMinutes, 0.5)
      assert.strictEqual(s.api.apiUrl, "http://127.0.0.1:8099/v4")
    }))

  it.effect("warns, but accepts, a TTL shorter than the poll interval", () =>
    Effect.gen(function*() {
      const s = yield* settingsOf({
        ELECTRICITY_MAPS_API_KEY: KEY,
        POLL_INTERVAL_MINUTES: "10",
        CACHE_TTL_MINUTES: "5"
      })
      assert.strictEqual(s.warnings.length, 1)
      assert.match(s.warnings[0]!, /CACHE_TTL_MINUTES \(5\) is smaller than POLL_INTERVAL_MINUTES \(10\)/)
    }))

  it.effect("accepts a legacy /v3 base with one warning naming the v4 URL, and other paths without one", () =>
    Effect.gen(function*() {
      const v3 = yield* settingsOf({
        ELECTRICITY_MAPS_API_KEY: KEY,
        ELECTRICITY_MAPS_API_URL: "https://api.electricitymaps.com/v3"
      })
      assert.strictEqual(v3.api.apiUrl, "https://api.electricitymaps.com/v3")
      assert.deepStrictEqual(v3.warnings.length, 1)
      assert.include(v3.warnings[0]!, "ELECTRICITY_MAPS_API_URL=https://api.electricitymaps.com/v4")
      const proxy = yield* settingsOf({
        ELECTRICITY_MAPS_API_KEY: KEY,
        ELECTRICITY_MAPS_API_URL: "https://proxy.example/em"
      })
      assert.strictEqual(proxy.api.apiUrl, "https://proxy.example/em")
      assert.deepStrictEqual(proxy.warnings, [])
    }))

  const invalid: ReadonlyArray<[string, RawEnvironment, string, RegExp]> = [
    ["an empty key", { ELECTRICITY_MAPS_API_KEY: "  " }, "ELECTRICITY_MAPS_API_KEY", /required/],
    ["POLL_INTERVAL_MINUTES=0", { POLL_INTERVAL_MINUTES: "0" }, "POLL_INTERVAL_MINUTES", /positive number/],
    ["POLL_INTERVAL_MINUTES=-1", { POLL_INTERVAL_MINUTES: "-1" }, "POLL_INTERVAL_MINUTES", /positive number/],
    ["POLL_INTERVAL_MINUTES=five", { POLL_INTERVAL_MINUTES: "five" }, "POLL_INTERVAL_MINUTES", /positive number/],
    ["CACHE_TTL_MINUTES=0", { CACHE_TTL_MINUTES: "0" }, "CACHE_TTL_MINUTES", /positive number/],
    [
      "EMISSION_FACTOR_TYPE=indirect",
      { EMISSION_FACTOR_TYPE: "indirect" },
      "EMISSION_FACTOR_TYPE",
      /lifecycle or direct/
    ],
    ["an empty ZONES", { ZONES: "" }, "ZONES", /at least one zone/],
    ["ZONES of commas", { ZONES: " , ," }, "ZONES", /at least one zone/],
    ["a zone key with /", { ZONES: "DE,US/CAL" }, "ZONES", /"US\/CAL"/],
    ["a zone key with ?", { ZONES: "DE?x=1" }, "ZONES", /"DE\?x=1"/],
    ["a zone key with &", { ZONES: "DE&zone=FR" }, "ZONES", /"DE&zone=FR"/],
    ["a zone key with a space inside", { ZONES: "US CAL" }, "ZONES", /"US CAL"/],
    ["a chain with an empty link", { ZONES: "GB|" }, "ZONES", /"GB\|": a chain has an empty link/],
    ["a chain naming a provider twice", { ZONES: "GB|em:FR" }, "ZONES", /each provider at most once/],
    [
      "http:// to a remote host",
      { ELECTRICITY_MAPS_API_URL: "http://api.electricitymaps.com/v4" },
      "ELECTRICITY_MAPS_API_URL",
      /loopback/
    ],
    [
      "a URL that is not one",
      { ELECTRICITY_MAPS_API_URL: "api.electricitymaps.com" },
      "ELECTRICITY_MAPS_API_URL",
      /absolute URL/
    ],
    ["MAX_CONCURRENCY=0", { MAX_CONCURRENCY: "0" }, "MAX_CONCURRENCY", /whole number from 1/],
    ["MAX_CONCURRENCY=2.5", { MAX_CONCURRENCY: "2.5" }, "MAX_CONCURRENCY", /whole number/],
    ["REQUEST_TIMEOUT_SECONDS=0", { REQUEST_TIMEOUT_SECONDS: "0" }, "REQUEST_TIMEOUT_SECONDS", /positive number/],
    ["MAX_RETRIES=-1", { MAX_RETRIES: "-1" }, "MAX_RETRIES", /whole number from 0/],
    ["LOG_FORMAT=xml", { LOG_FORMAT: "xml" }, "LOG_FORMAT", /json or pretty/],
    ["LOG_LEVEL=loud", { LOG_LEVEL: "loud" }, "LOG_LEVEL", /one of/],
    ["HTTP_PORT=70000", { HTTP_PORT: "70000" }, "HTTP_PORT", /0 to 65535/],
    // Number("") is 0, Number("0x10") is 16, Number("1e1") is 10: none of them is written as digits.
    ["an empty HTTP_PORT", { HTTP_PORT: "" }, "HTTP_PORT", /whole number from 0 to 65535/],
    ["MAX_RETRIES in hex", { MAX_RETRIES: "0x3" }, "MAX_RETRIES", /whole number from 0/],
    ["MAX_CONCURRENCY with an exponent", { MAX_CONCURRENCY: "1e1" }, "MAX_CONCURRENCY", /whole number from 1/],
    ["CACHE_TTL_MINUTES with an exponent", { CACHE_TTL_MINUTES: "1e1" }, "CACHE_TTL_MINUTES", /positive number/],
    ["MAX_REQUESTS_PER_SECOND=-2", { MAX_REQUESTS_PER_SECOND: "-2" }, "MAX_REQUESTS_PER_SECOND", /positive number/],
    ["MAX_READING_AGE_MINUTES=0", { MAX_READING_AGE_MINUTES: "0" }, "MAX_READING_AGE_MINUTES", /positive number/],
    [
      "a poll interval under the floor against a remote API",
      { POLL_INTERVAL_MINUTES: "0.0000001" },
      "POLL_INTERVAL_MINUTES",
      /at least 1 against a remote API/
    ]
  ]
  for (const [name, env, variable, expected] of invalid) {
    it.effect(`names ${variable} for ${name}`, () =>
      Effect.gen(function*() {
        const issues = yield* issuesOf({ ELECTRICITY_MAPS_API_KEY: KEY, ...env })
        assert.deepStrictEqual(issues.map((i) => i.variable), [variable])
        assert.match(issues[0]!.expected, expected)
      }))
  }

  it.effect("accepts what the documentation allows: spaces around a word, a level in any case, HTTP_PORT=0", () =>
    Effect.gen(function*() {
      const s = yield* settingsOf({
        ELECTRICITY_MAPS_API_KEY: KEY,
        EMISSION_FACTOR_TYPE: " direct ",
        LOG_FORMAT: "pretty ",
        LOG_LEVEL: "WARNING",
        HTTP_PORT: "0",
        MAX_RETRIES: " 2 "
      })
      assert.strictEqual(s.basis.emissionFactorType, "direct")
      assert.strictEqual(s.logging.logFormat, "pretty")
      assert.strictEqual(s.logging.logLevel, LogLevel.Warning)
      assert.strictEqual(s.http.httpPort, 0)
      assert.strictEqual(s.api.maxRetries, 2)
      assert.strictEqual(
        (yield* settingsOf({ ELECTRICITY_MAPS_API_KEY: KEY, LOG_LEVEL: " none " })).logging.logLevel,
        LogLevel.None
      )
    }))

  it.effect("allows a short poll interval against a loopback URL (the simulator)", () =>
    Effect.gen(function*() {
      const s = yield* settingsOf({
        ELECTRICITY_MAPS_API_KEY: KEY,
        POLL_INTERVAL_MINUTES: "0.001",
        ELECTRICITY_MAPS_API_URL: "http://127.0.0.1:1/v4"
      })
      assert.strictEqual(s.polling.pollIntervalMinutes, 0.001)
    }))

  it.effect("names ELECTRICITY_MAPS_API_KEY when no key is set at all", () =>
    Effect.gen(function*() {
      const issues = yield* issuesOf({})
      assert.deepStrictEqual(issues.map((i) => i.variable), ["ELECTRICITY_MAPS_API_KEY"])
      assert.match(new InvalidConfig({ issues }).message, /ELECTRICITY_MAPS_API_KEY \(not set\): required/)
    }))

  it.effect("reports every bad variable in one message, with its value and what would be valid", () =>
    Effect.gen(function*() {
      const env = {
        POLL_INTERVAL_MINUTES: "0",
        EMISSION_FACTOR_TYPE: "indirect",
        SIGNAL: "median",
        ZONES: "",
        LOG_FORMAT: "xml"
      }
      const issues = yield* issuesOf(env)
      const message = new InvalidConfig({ issues }).message
      assert.deepStrictEqual(yield* variablesOf(env), [
        "ELECTRICITY_MAPS_API_KEY",
        "POLL_INTERVAL_MINUTES",
        "ZONES",
        "EMISSION_FACTOR_TYPE",
        "SIGNAL",
        "LOG_FORMAT"
      ])
      assert.match(message, /6 problems/)
      assert.match(message, /SIGNAL="median": must be average or marginal/)
      assert.match(message, /POLL_INTERVAL_MINUTES="0": must be a positive number/)
      assert.match(message, /EMISSION_FACTOR_TYPE="indirect": must be lifecycle or direct/)
    }))

  it.effect("never echoes the key, even when the key itself is the problem", () =>
    Effect.gen(function*() {
      const issues = yield* issuesOf({ ELECTRICITY_MAPS_API_KEY: `${KEY}\nsecond-line` })
      assert.deepStrictEqual(issues.map((i) => i.variable), ["ELECTRICITY_MAPS_API_KEY"])
      assert.notInclude(new InvalidConfig({ issues }).message, KEY)
      assert.include(new InvalidConfig({ issues }).message, "<redacted>")
    }))

  for (
    const [name, key] of [["a control character", `${KEY}\u0007`], [
      "a non-ASCII letter",
      `${KEY.slice(0, 5)}é${KEY.slice(5)}`
    ], ["a space inside", `${KEY.slice(0, 5)} ${KEY.slice(5)}`]] as const
  ) {
    it.effect(`refuses a key with ${name} at start, naming the variable and never the key`, () =>
      Effect.gen(function*() {
        const issues = yield* issuesOf({ ELECTRICITY_MAPS_API_KEY: key })
        assert.deepStrictEqual(issues.map((i) => i.variable), ["ELECTRICITY_MAPS_API_KEY"])
        const message = new InvalidConfig({ issues }).message
        assert.match(message, /printable ASCII/)
        assert.notInclude(message, KEY.slice(0, 5))
      }))
  }

  for (
    const [name, url, secret] of [
      ["user:pass@", "https://alice:hunter2@api.electricitymaps.com/v4", "hunter2"],
      ["a ?token= query", "https://api.electricitymaps.com/v4?token=tok-5ecret", "tok-5ecret"],
      ["credentials with plain http", "http://bob:s3cr3t@10.0.0.1/v4", "s3cr3t"]
    ] as const
  ) {
    it.effect(`redacts ${name} in ELECTRICITY_MAPS_API_URL from the error`, () =>
      Effect.gen(function*() {
        const issues = yield* issuesOf({ ELECTRICITY_MAPS_API_KEY: KEY, ELECTRICITY_MAPS_API_URL: url })
        assert.deepStrictEqual(issues.map((i) => i.variable), ["ELECTRICITY_MAPS_API_URL"])
        const message = new InvalidConfig({ issues }).message
        assert.notInclude(message, secret)
        assert.include(message, "<redacted>")
      }))
  }

  it.effect("refuses both key variables at once", () =>
    Effect.gen(function*() {
      const issues = yield* issuesOf({
        ELECTRICITY_MAPS_API_KEY: KEY,
        ELECTRICITY_MAPS_API_KEY_FILE: "/run/secrets/key"
      })
      assert.match(issues[0]?.expected ?? "", /not both/)
    }))

  describe("the key file, through FileSystem", () => {
    it.scoped("reads the key from ELECTRICITY_MAPS_API_KEY_FILE, trimming the newline of a secret mount", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const path = yield* Path.Path
        const dir = yield* fs.makeTempDirectoryScoped()
        const keyFile = path.join(dir, "key")
        yield* fs.writeFileString(keyFile, `${KEY}\n`)
        const settings = yield* load({ ELECTRICITY_MAPS_API_KEY_FILE: keyFile })
        assert.strictEqual(Redacted.value(settings.api.apiKey), KEY)
      }).pipe(Effect.provide(Layer.merge(NodeFileSystem.layer, Path.layer))))

    it.scoped("names the key file when it is missing or empty", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* fs.makeTempDirectoryScoped()
        const missing = yield* Effect.exit(load({ ELECTRICITY_MAPS_API_KEY_FILE: `${dir}/absent` }))
        assert.isTrue(Exit.isFailure(missing))
        assert.match(
          String(Exit.isFailure(missing) && missing.cause),
          /ELECTRICITY_MAPS_API_KEY_FILE.*cannot read the key file \(NotFound/
        )
        yield* fs.writeFileString(`${dir}/empty`, "\n")
        const empty = yield* Effect.flip(load({ ELECTRICITY_MAPS_API_KEY_FILE: `${dir}/empty` }))
        assert.match(empty.message, /ELECTRICITY_MAPS_API_KEY_FILE=.*the file is empty/)
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("reports a bad key file together with the other bad variables", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* fs.makeTempDirectoryScoped()
        const error = yield* Effect.flip(
          load({ ELECTRICITY_MAPS_API_KEY_FILE: `${dir}/absent`, POLL_INTERVAL_MINUTES: "0" })
        )
        assert.deepStrictEqual(error.issues.map((i) => i.variable), [
          "ELECTRICITY_MAPS_API_KEY_FILE",
          "POLL_INTERVAL_MINUTES"
        ])
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.effect("fails with InvalidConfig before anything else happens", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(load({ POLL_INTERVAL_MINUTES: "0" }))
        assert.strictEqual(error._tag, "InvalidConfig")
        assert.deepStrictEqual(error.issues.map((i) => i.variable), [
          "ELECTRICITY_MAPS_API_KEY",
          "POLL_INTERVAL_MINUTES"
        ])
      }))
  })
})
