/**
 * A first run and a first deployment without surprises: what the service says when a person gets
 * something wrong on day one. A placeholder key is refused at start; a URL without a scheme, a
 * version, or a resolvable host, an unwritable default /cache, a privileged port and a misspelt
 * variable each get a message that names the setting to change; `--once` promises no next poll;
 * a sidecar says on /metrics that it leads.
 */
import { HttpClient, HttpClientError } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Layer, Option, Random } from "effect"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pollOnceAndExit } from "../../src/app/Commands.js"
import { checkApiUrl, isPlaceholderKey, PLACEHOLDER_KEYS } from "../../src/config/ApiConfig.js"
import { type Configuration, loadConfiguration, VARIABLES } from "../../src/config/Configuration.js"
import { closestKnown } from "../../src/config/Lookalikes.js"
import type { InvalidConfig } from "../../src/config/Variables.js"
import { HttpPortUnavailable } from "../../src/http/HttpListener.js"
import { PrometheusMetrics } from "../../src/observability/PrometheusExposition.js"
import { Poller } from "../../src/poll/Poller.js"
import { ZoneCheck } from "../../src/poll/ZoneCheck.js"
import { CarbonSource } from "../../src/ports/CarbonSource.js"
import { apiFailure } from "../../src/providers/electricitymaps/ApiError.js"
import * as ElectricityMapsSource from "../../src/providers/electricitymaps/ElectricityMapsSource.js"
import { readRepoFile } from "../deploy/documented.js"
import { respond } from "../support/FakeApi.js"
import { fixtureText } from "../support/fixtures.js"
import { makeHarness } from "../support/harness.js"
import * as TestSettings from "../support/settings.js"

const KEY = "first-run-key-5d1c"
type RawEnvironment = Readonly<Record<string, string>>

const loadWith = (provider: ConfigProvider.ConfigProvider) =>
  loadConfiguration({ stdoutIsTerminal: false, keyRequired: true }).pipe(
    Effect.withConfigProvider(provider),
    Effect.provide(NodeFileSystem.layer)
  )
const load = (env: RawEnvironment): Effect.Effect<Configuration, InvalidConfig> =>
  loadWith(ConfigProvider.fromMap(new Map(Object.entries(env))))
/** The problems reported, or none when the configuration loads (never the settings themselves). */
const problemsOf = (env: RawEnvironment) =>
  Effect.map(Effect.either(load(env)), Either.match({ onLeft: (error) => error.issues, onRight: () => [] }))

/** The failure's text, or a sentence saying it succeeded (a test diff never renders the success). */
const failureText = <A, E extends { readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.either(effect), Either.match({ onLeft: (error) => error.message, onRight: () => "(succeeded)" }))

describe("a placeholder key", () => {
  it.effect("is refused at start (exit 2), inline or from the mounted Secret file, without echoing it", () =>
    Effect.gen(function*() {
      for (const placeholder of ["your-api-key", "REPLACE_WITH_YOUR_ELECTRICITY_MAPS_API_KEY", "<your-key>", "$KEY"]) {
        const [issue] = yield* problemsOf({ ELECTRICITY_MAPS_API_KEY: placeholder })
        assert.strictEqual(issue?.variable, "ELECTRICITY_MAPS_API_KEY", placeholder)
        assert.strictEqual(issue?.value, "<redacted>")
        assert.match(issue?.expected ?? "", /is a placeholder, not an API key/)
      }
      const dir = yield* Effect.promise(() => mkdtemp(join(tmpdir(), "first-run-")))
      const file = join(dir, "api-key")
      yield* Effect.promise(() => writeFile(file, "REPLACE_WITH_YOUR_ELECTRICITY_MAPS_API_KEY\n"))
      const [fromFile] = yield* problemsOf({ ELECTRICITY_MAPS_API_KEY_FILE: file })
      yield* Effect.promise(() => rm(dir, { recursive: true }))
      assert.strictEqual(fromFile?.variable, "ELECTRICITY_MAPS_API_KEY_FILE")
      assert.strictEqual(fromFile?.value, file)
      assert.match(fromFile?.expected ?? "", /holds a placeholder, not an API key/)
    }))

  it.effect("accepts real-looking keys, including ones that merely contain a placeholder word", () =>
    Effect.gen(function*() {
      for (const key of [KEY, "your-api-key-2", "aBcD3fGh1jKlMn0p", "replace-me-not"]) {
        assert.isFalse(isPlaceholderKey(key), key)
        yield* load({ ELECTRICITY_MAPS_API_KEY: key })
      }
    }))

  it("covers every placeholder the README, docs/, the Dockerfile and the manifests show", () => {
    // Keys shown for the simulator (which takes any key) or as a value in an example of another
    // problem are not placeholders for the real API; `--from-file=api-key=PATH` names a file.
    const examples = new Set(["anything", "my-key", "ci-key", "k", "bench-key"])
    const files = ["README.md", "Dockerfile", "k8s.yaml", "k8s-cluster.yaml", "src/simulator/README.md"]
    const docs = ["configuration", "operations", "cluster", "exit-codes", "electricity-maps", "reliability"]
    const shown = [...files, ...docs.map((d) => `docs/${d}.md`)].flatMap((file) =>
      [...readRepoFile(file).matchAll(/(?<!--from-file=)(?:ELECTRICITY_MAPS_API_KEY|api-key)[=:]\s*"?([^"\s`]+)"?/g)]
        .map((m) => ({
          file,
          value: m[1] ?? ""
        }))
    )
    const unrefused = shown.filter(({ value }) => !examples.has(value) && !isPlaceholderKey(value))
    assert.deepStrictEqual(unrefused, [])
    assert.isTrue(PLACEHOLDER_KEYS.every(isPlaceholderKey))
  })
})

describe("ELECTRICITY_MAPS_API_URL", () => {
  it("without a scheme suggests it: http:// for loopback, https:// otherwise, never echoing credentials", () => {
    const local = Either.getLeft(checkApiUrl("localhost:8099/v4"))
    assert.match(Option.getOrElse(local, () => ""), /has no scheme.*did you mean http:\/\/localhost:8099\/v4\?/)
    assert.notMatch(Option.getOrElse(local, () => ""), /must be an https:\/\/ URL/)
    const remote = Either.getLeft(checkApiUrl("api.electricitymaps.com/v4"))
    assert.include(Option.getOrElse(remote, () => ""), "did you mean https://api.electricitymaps.com/v4?")
    const withCredentials = Either.getLeft(checkApiUrl("user:hunter2@proxy.example/v4"))
    assert.match(Option.getOrElse(withCredentials, () => ""), /has no scheme/)
    assert.notInclude(Option.getOrElse(withCredentials, () => ""), "hunter2")
    assert.isTrue(Either.isRight(checkApiUrl("http://localhost:8099/v4")))
  })

  it.effect("warns at start when an Electricity Maps base has no version segment", () =>
    Effect.gen(function*() {
      const settings = yield* load({
        ELECTRICITY_MAPS_API_KEY: KEY,
        ELECTRICITY_MAPS_API_URL: "https://api.electricitymaps.com"
      })
      const warning = settings.warnings.find((w) => w.includes("no version segment"))
      assert.include(warning ?? "", "ELECTRICITY_MAPS_API_URL=https://api.electricitymaps.com/v4")
      const current = yield* load({ ELECTRICITY_MAPS_API_KEY: KEY })
      assert.deepStrictEqual(current.warnings, [])
    }))

  it.effect("without a version, a 404 says to check the URL, not the zone key", () =>
    Effect.gen(function*() {
      const latest = (apiUrl: string) =>
        failureText(
          Effect.flatMap(CarbonSource, (source) => source.latest("US-CAL-CISO")).pipe(
            Effect.mapError((error) => ({ message: error.detail })),
            Effect.provide(ElectricityMapsSource.layer),
            Effect.provide(makeHarness({ api: { intensities: {} } }).api.layer),
            Effect.provide(TestSettings.layer({ apiUrl }))
          )
        )
      const versionless = yield* latest("https://api.test")
      assert.include(versionless, "check ELECTRICITY_MAPS_API_URL ends in /v4 (it is https://api.test)")
      assert.notInclude(versionless, "check the zone key")
      const versioned = yield* latest("https://api.test/v4")
      assert.include(versioned, "check the zone key")
      const catalogue = apiFailure({ zone: undefined, reason: "ZoneNotFound", status: 404, baseUrl: "https://x/v4" })
      assert.include(catalogue.message, "no zone catalogue at https://x/v4/zones")
    }))
})

describe("an unreachable API host", () => {
  it.effect("is named, with the URL and what to check, instead of a raw getaddrinfo ENOTFOUND", () =>
    Effect.gen(function*() {
      const offline = HttpClient.make((request) =>
        Effect.fail(
          new HttpClientError.RequestError({
            request,
            reason: "Transport",
            cause: Object.assign(new Error("getaddrinfo ENOTFOUND api.test"), { code: "ENOTFOUND" })
          })
        )
      )
      const detail = yield* failureText(
        Effect.flatMap(CarbonSource, (source) => source.catalogue).pipe(
          Effect.mapError((error) => ({ message: error.detail })),
          Effect.provide(ElectricityMapsSource.layer),
          Effect.provide(Layer.succeed(HttpClient.HttpClient, offline)),
          Effect.provide(TestSettings.layer({ maxRetries: 0 }))
        )
      )
      assert.include(detail, "the API host api.test could not be resolved")
      assert.include(detail, "https://api.test/v4")
      assert.include(detail, "check the network")
      assert.include(detail, "ELECTRICITY_MAPS_API_URL")
      assert.notInclude(detail, "getaddrinfo")
    }))
})

describe("a privileged HTTP_PORT", () => {
  it("says to use a port of 1024 or above or grant CAP_NET_BIND_SERVICE, not to free the port", () => {
    const denied = Object.assign(new Error("listen EACCES: permission denied 0.0.0.0:80"), { code: "EACCES" })
    const message = new HttpPortUnavailable({ host: "0.0.0.0", port: 80, cause: denied }).message
    assert.include(message, "1024")
    assert.include(message, "CAP_NET_BIND_SERVICE")
    assert.notInclude(message, "free the port")
    const taken = Object.assign(new Error("listen EADDRINUSE: address already in use"), { code: "EADDRINUSE" })
    assert.include(new HttpPortUnavailable({ host: "0.0.0.0", port: 9477, cause: taken }).message, "another process")
  })
})

describe("a cache directory this user cannot write", () => {
  it.effect("(the default /cache on a local run as non-root) says to set CACHE_FILE to a writable path", () =>
    Effect.gen(function*() {
      const h = makeHarness({ api: { intensities: { "US-CAL-CISO": 100 } }, settings: { zones: ["US-CAL-CISO"] } })
      h.memory.setFailure("makeDirectory", {
        reason: "PermissionDenied",
        description: "EACCES: permission denied, mkdir '/cache'"
      })
      const failure = yield* failureText(h.run(pollOnceAndExit)).pipe(Effect.withRandom(Random.make("once")))
      const advice = "set CACHE_FILE to a writable path, e.g. CACHE_FILE=./carbon_cache.json"
      assert.include(failure, advice)
      assert.isTrue(h.logLines.some((line) => line.includes(advice) && line.includes("\"logLevel\":\"ERROR\"")))
    }))
})

describe("--once", () => {
  const ZONES = ["US-CAL-CISO", "US-TEX-ERCO", "XX-NOPE"]
  const scenario = () =>
    makeHarness({
      api: {
        intensities: { "US-CAL-CISO": 100, "US-TEX-ERCO": 200 },
        scripts: { "US-TEX-ERCO": [respond(401, fixtureText("error.invalid-token.json"))] }
      },
      settings: { zones: ZONES }
    })

  it.effect("promises no next poll: no 'next poll', no 'asked again hourly', in the log or the file", () =>
    Effect.gen(function*() {
      const h = scenario()
      yield* h.run(pollOnceAndExit)
      const said = [...h.logLines, h.memory.read("/cache/carbon_cache.json") ?? ""]
      assert.isTrue(h.logLines.some((line) => line.includes("US-TEX-ERCO") && line.includes("Unauthorized")))
      assert.isTrue(h.logLines.some((line) => line.includes("XX-NOPE does not exist")))
      assert.deepStrictEqual(said.filter((text) => /next poll|hourly|again/.test(text)), [])
    }))

  it.effect("while the service's loop, on the same failures, says when it tries again", () =>
    Effect.gen(function*() {
      const h = scenario()
      yield* h.run(Effect.gen(function*() {
        const plan = yield* (yield* ZoneCheck).atStart
        yield* (yield* Poller).pollOnce(plan.pollable, plan.excluded)
      }))
      assert.isTrue(h.logLines.some((line) => line.includes("Unauthorized") && line.includes("tried again next poll")))
      assert.isTrue(h.logLines.some((line) => line.includes("XX-NOPE") && line.includes("asked again hourly")))
      assert.include(h.memory.read("/cache/carbon_cache.json") ?? "", "(asked again hourly)")
    }))

  it.effect("a failed write promises no retry either", () =>
    Effect.gen(function*() {
      const h = makeHarness({ api: { intensities: { "US-CAL-CISO": 100 } }, settings: { zones: ["US-CAL-CISO"] } })
      h.memory.setFailure("rename", { reason: "Unknown", description: "ENOSPC: no space left on device" })
      const failure = yield* failureText(h.run(pollOnceAndExit))
      assert.include(failure, "no space left on device")
      const written = h.logLines.filter((line) => line.includes("no space left on device"))
      assert.isTrue(written.length > 0)
      assert.deepStrictEqual(written.filter((line) => /next poll|again/.test(line)), [])
    }))
})

describe("an environment variable that looks like ours", () => {
  it.effect("is named at start with the closest variable the service reads, its value never shown", () =>
    Effect.gen(function*() {
      const settings = yield* load({
        ELECTRICITY_MAPS_API_KEY: KEY,
        POLL_INTERVAL: "3",
        ELECTRICITY_MAP_API_KEY: "secret-in-a-misspelt-variable"
      })
      assert.include(
        settings.warnings.join("\n"),
        "POLL_INTERVAL is set but carbon-poller does not read it (it is ignored); did you mean POLL_INTERVAL_MINUTES?"
      )
      assert.include(settings.warnings.join("\n"), "ELECTRICITY_MAP_API_KEY is set")
      assert.include(settings.warnings.join("\n"), "did you mean ELECTRICITY_MAPS_API_KEY?")
      assert.notInclude(settings.warnings.join("\n"), "secret-in-a-misspelt-variable")
      assert.notInclude(settings.warnings.join("\n"), "\"3\"")
    }))

  it.effect("is found in an environment split on _ as the process environment is", () =>
    Effect.gen(function*() {
      const env = new Map([["ELECTRICITY_MAPS_API_KEY", KEY], ["CACHE_TTL", "4"], ["PATH", "/usr/bin"]])
      const settings = yield* loadWith(ConfigProvider.fromMap(env, { pathDelim: "_" }))
      assert.deepStrictEqual(settings.warnings, [
        "CACHE_TTL is set but carbon-poller does not read it (it is ignored); did you mean CACHE_TTL_MINUTES?"
      ])
    }))

  it("leaves alone what a shell, a container or Kubernetes sets", () => {
    const theirs = [
      "PATH",
      "HOME",
      "HOSTNAME",
      "HTTP_PROXY",
      "HTTPS_PROXY",
      "NO_PROXY",
      "NODE_OPTIONS",
      "NODE_ENV",
      "NODE_NAME",
      "POD_NAMESPACE",
      "POD_IP",
      "KUBERNETES_SERVICE_HOST",
      "KUBERNETES_PORT_443_TCP_PORT",
      "LANG",
      "TERM",
      "PORT",
      "HOST",
      "TZ",
      "CARBON_POLLER_SERVICE_PORT"
    ]
    assert.deepStrictEqual(theirs.filter((name) => Option.isSome(closestKnown(name, VARIABLES))), [])
    const ours = { ZONE: "ZONES", LOGLEVEL: "LOG_LEVEL", KUBE_CONFIG: "KUBECONFIG", MAX_RETRY: "MAX_RETRIES" }
    for (const [typo, meant] of Object.entries(ours)) {
      assert.deepStrictEqual(closestKnown(typo, VARIABLES), Option.some(meant), typo)
    }
  })
})

describe("a sidecar on /metrics", () => {
  it.effect("reports carbon_poller_leader 1, as documented", () =>
    Effect.gen(function*() {
      const text = yield* makeHarness({}).run(Effect.flatMap(PrometheusMetrics, (metrics) => metrics.render))
      assert.include(text.split("\n"), "carbon_poller_leader 1")
    }))
})
