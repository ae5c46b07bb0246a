/**
 * More than one provider, end to end: the configuration read from variables as the container
 * gives them, the real assembly, Node's HTTP client on loopback against the project's simulator
 * (Electricity Maps, the UK Carbon Intensity API and WattTime routes in one server), the real
 * filesystem. Each written file is held to the cache file's rules by the same check a published
 * cache must pass, and its `sources` to what each key's provider is.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import {
  Clock,
  ConfigProvider,
  Duration,
  Effect,
  Either,
  Fiber,
  Layer,
  Logger,
  Metric,
  MetricLabel,
  Queue,
  TestClock
} from "effect"
import * as AppLayer from "../../src/app/AppLayer.js"
import { pollOnceAndExit } from "../../src/app/Commands.js"
import { exitCodeOf } from "../../src/app/FatalError.js"
import { checkPublishedCache } from "../../src/cluster/PublishedCacheCheck.js"
import * as Configuration from "../../src/config/Configuration.js"
import type { CacheFile, SourceProvenance } from "../../src/domain/CacheFile.js"
import type { ProviderId, Signal } from "../../src/domain/Provider.js"
import { Forecasts } from "../../src/forecast/Forecasts.js"
import * as Metrics from "../../src/observability/Metrics.js"
import * as NodePlatform from "../../src/platform/NodePlatform.js"
import { Poller } from "../../src/poll/Poller.js"
import type { PollSummary } from "../../src/poll/PollSummary.js"
import { ZoneCheck } from "../../src/poll/ZoneCheck.js"
import { carbonIntensity } from "../../src/simulator/Intensity.js"
import * as Simulator from "../../src/simulator/Simulator.js"
import { period } from "../../src/simulator/ukci/Model.js"
import { moerLbs } from "../../src/simulator/watttime/Signal.js"
import { summariesInto } from "../support/pollWatch.js"
import { CONTRACT_KEYS } from "../support/samples.js"

const SEED = "providers-it"
const KEY = "providers-it-key-4b7e2a91c0d3"
const WATTTIME = { username: "it-user", password: "it-password-5d1c" }
/** The contract's conversion, written out here rather than taken from the adapter. */
const GRAMS_PER_KWH_PER_LBS_PER_MWH = 0.45359237

const MIXED = {
  ZONES: "DE,FR,GB|ukci:national,ukci:13",
  EMISSION_FACTOR_TYPE: "direct"
}
const WATTTIME_ONLY = {
  ZONES: "watttime:CAISO_NORTH,watttime:PSCO,watttime:PJM_NJ",
  SIGNAL: "marginal",
  EMISSION_FACTOR_TYPE: "direct",
  WATTTIME_USERNAME: WATTTIME.username,
  WATTTIME_PASSWORD: WATTTIME.password
}

/**
 * A simulator, and the service configured from `env` (plus the simulator's URLs and a temporary
 * CACHE_FILE) the way `main` reads its environment: `run` gives an effect the services.
 */
const deploy = (env: Readonly<Record<string, string>>, options: Simulator.SimulatorOptions = {}) =>
  Effect.gen(function*() {
    const simulator = yield* Simulator.start({ seed: SEED, wattTime: WATTTIME, ...options }).pipe(Effect.orDie)
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "carbon-poller-providers-it-" })
    const cacheFile = `${dir}/cache/carbon_cache.json`
    const variables: Record<string, string> = {
      ELECTRICITY_MAPS_API_URL: simulator.baseUrl,
      UKCI_API_URL: simulator.ukciBaseUrl,
      WATTTIME_API_URL: simulator.wattTimeUrl,
      CACHE_FILE: cacheFile,
      HTTP_PORT: "0",
      MAX_RETRIES: "1",
      RETRY_BASE_DELAY_SECONDS: "0.01",
      REQUEST_TIMEOUT_SECONDS: "5",
      ...env
    }
    const provider = ConfigProvider.fromMap(new Map(Object.entries(variables)))
    const logLines: Array<string> = []
    const over = <A, E, R>(app: Layer.Layer<A, E, R>) =>
      app.pipe(
        Layer.provideMerge(Configuration.layer({ stdoutIsTerminal: false, keyRequired: true })),
        Layer.provide(NodePlatform.layer),
        Layer.provideMerge(
          Logger.replace(Logger.defaultLogger, Logger.map(Logger.jsonLogger, (line) => void logLines.push(line)))
        )
      )
    /** An effect over the services these variables configure (built when it runs, once). */
    const run = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.provide(effect, over(AppLayer.ServicesLayer)).pipe(Effect.withConfigProvider(provider))
    const readText = fs.readFileString(cacheFile)
    return { simulator, provider, over, run, readText, logLines }
  }).pipe(Effect.provide(NodeFileSystem.layer))

type Deployment = Effect.Effect.Success<ReturnType<typeof deploy>>

/** The file as written, held to the cache file's rules (the check a published cache must pass). */
const checkedFile = (d: Deployment, emissionFactorType: string) =>
  Effect.gen(function*() {
    const text = yield* d.readText.pipe(Effect.provide(NodeFileSystem.layer), Effect.orDie)
    const now = yield* Clock.currentTimeMillis
    const checked = checkPublishedCache(text, { ttlMinutes: 10, emissionFactorType, maxReadingAgeMinutes: 180, now })
    assert.isTrue(Either.isRight(checked), JSON.stringify(Either.isLeft(checked) ? checked.left : []))
    const cache = Either.getOrThrow(checked)
    assert.deepStrictEqual(Object.keys(JSON.parse(text) as object).slice(0, 6), CONTRACT_KEYS)
    assert.match(cache.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/)
    assert.notInclude(text, KEY)
    assert.notInclude(text, WATTTIME.password)
    for (const [zone, entry] of Object.entries(cache.regions)) assert.strictEqual(entry.zone, zone)
    assert.deepStrictEqual(Object.keys(cache.sources ?? {}).sort(), Object.keys(cache.regions).sort())
    return cache
  })

const source = (provider: ProviderId, signal: Signal, fallback = false): SourceProvenance => ({
  provider,
  signal,
  emissionFactorType: "direct",
  fallback
})

/** What the simulator's Electricity Maps routes give for a zone's hour, direct. */
const emValue = (cache: CacheFile, zone: string) =>
  carbonIntensity(SEED, zone, Date.parse(cache.regions[zone]!.datetime), "direct")

/** What the simulator's UK routes give for a half-hour: the measured value where there is one. */
const ukciValue = (cache: CacheFile, key: string, zone: "national" | number) => {
  const p = period(SEED, zone, Date.parse(cache.regions[key]!.datetime), Number.MAX_SAFE_INTEGER)
  return typeof p.actual === "number" ? p.actual : p.forecast
}

/** A counter's value under the given labels, as `/metrics` would show it. */
const counted = (counter: Metric.Metric.Counter<number>, labels: Readonly<Record<string, string>>) =>
  Effect.map(
    Metric.value(Metric.taggedWithLabels(counter, Object.entries(labels).map(([k, v]) => MetricLabel.make(k, v)))),
    (state) => state.count
  )

describe("a mixed deployment against the simulator's three providers", () => {
  it.scopedLive("Electricity Maps zones and a GB|ukci:national chain, direct: a file by the rules, sources per key", () =>
    Effect.gen(function*() {
      const d = yield* deploy({ ELECTRICITY_MAPS_API_KEY: KEY, ...MIXED })
      yield* d.run(pollOnceAndExit)
      const cache = yield* checkedFile(d, "direct")
      assert.deepStrictEqual([...cache.sorted_by_carbon].sort(), ["DE", "FR", "GB", "ukci:13"])
      assert.deepStrictEqual(cache.sources, {
        DE: source("electricitymaps", "average"),
        FR: source("electricitymaps", "average"),
        GB: source("electricitymaps", "average"),
        "ukci:13": source("ukci", "average")
      })
      for (const zone of ["DE", "FR", "GB"]) {
        assert.strictEqual(cache.regions[zone]!.carbonIntensity, emValue(cache, zone))
      }
      assert.strictEqual(cache.regions["ukci:13"]!.carbonIntensity, ukciValue(cache, "ukci:13", 13))
      assert.isTrue(cache.regions["ukci:13"]!.isEstimated, "a regional UK value is a forecast")
      const stats = yield* d.simulator.stats()
      // The chain's fallback is not asked while its first link answers.
      assert.deepStrictEqual(stats.ukciByZone, { "13": 1 })
      assert.deepStrictEqual([stats.byZone["DE"], stats.byZone["FR"], stats.byZone["GB"]], [1, 1, 1])
    }))

  it.scopedLive("a WattTime deployment, marginal: a file by the rules in g/kWh, no Electricity Maps key needed", () =>
    Effect.gen(function*() {
      const d = yield* deploy(WATTTIME_ONLY)
      yield* d.run(pollOnceAndExit)
      const cache = yield* checkedFile(d, "direct")
      const keys = ["watttime:CAISO_NORTH", "watttime:PJM_NJ", "watttime:PSCO"]
      assert.deepStrictEqual([...cache.sorted_by_carbon].sort(), keys)
      assert.deepStrictEqual(
        cache.sources,
        Object.fromEntries(keys.map((key) => [key, source("watttime", "marginal")]))
      )
      for (const key of keys) {
        const entry = cache.regions[key]!
        const lbs = moerLbs(SEED, key.slice("watttime:".length), Date.parse(entry.datetime))
        assert.closeTo(entry.carbonIntensity ?? Number.NaN, lbs * GRAMS_PER_KWH_PER_LBS_PER_MWH, 0.001, key)
        assert.notStrictEqual(entry.carbonIntensity, lbs, `${key} is not left in lbs/MWh`)
        assert.strictEqual(entry.emissionFactorType, "direct")
      }
      const stats = yield* d.simulator.stats()
      assert.strictEqual(stats.byEndpoint["watttime-login"], 1)
      assert.strictEqual(stats.byEndpoint["latest"] ?? 0, 0, "Electricity Maps is not asked")
      assert.strictEqual(stats.byEndpoint["zones"] ?? 0, 0, "nor its catalogue")
    }))

  it.scopedLive("a WattTime region outside the account's plan is polled and reported with WattTime's words, not called non-existent", () =>
    Effect.gen(function*() {
      // The simulator's plan leaves ISONE_WCMA out, so /v3/my-access does not list it: that alone
      // cannot tell a region outside the plan from a typo, so it is asked, and WattTime's 403 says.
      const d = yield* deploy({ ...WATTTIME_ONLY, ZONES: "watttime:CAISO_NORTH,watttime:ISONE_WCMA" })
      yield* d.run(pollOnceAndExit)
      const cache = yield* checkedFile(d, "direct")
      assert.deepStrictEqual(cache.sorted_by_carbon, ["watttime:CAISO_NORTH"])
      const why = cache.unavailable?.["watttime:ISONE_WCMA"]
      assert.isDefined(why)
      assert.notStrictEqual(why?.reason, "ZoneNotFound")
      assert.match(why?.message ?? "", /Invalid scope/)
      assert.strictEqual((yield* d.simulator.stats()).wattTimeByRegion["ISONE_WCMA"], 1)
      assert.isTrue(d.logLines.some((line) => line.includes("not among the zones your WattTime account may query")))
    }))

  it.scopedLive("says a WattTime plan refusal once: later polls and forecast refreshes do not warn again", () =>
    Effect.gen(function*() {
      const d = yield* deploy({
        ...WATTTIME_ONLY,
        ZONES: "watttime:CAISO_NORTH,watttime:ISONE_WCMA",
        FORECAST_WINDOWS_MINUTES: "60"
      })
      yield* d.run(Effect.gen(function*() {
        const poller = yield* Poller
        const forecasts = yield* Forecasts
        for (let round = 0; round < 3; round++) {
          yield* poller.pollOnce(["watttime:CAISO_NORTH", "watttime:ISONE_WCMA"])
          yield* forecasts.refresh
        }
      }))
      const warnings = d.logLines.filter((line) => {
        const parsed = JSON.parse(line) as { readonly logLevel?: string; readonly message?: unknown }
        return parsed.logLevel === "WARN" && String(parsed.message).includes("ISONE_WCMA")
      })
      assert.strictEqual(warnings.length, 1, warnings.join("\n"))
      assert.include(warnings[0], "Invalid scope")
      assert.strictEqual((yield* d.simulator.stats()).wattTimeByRegion["ISONE_WCMA"], 1, "asked once")
    }))

  it.scopedLive("a deployment of only out-of-plan WattTime regions fails its poll (exit 1), not the zone check (exit 3)", () =>
    Effect.gen(function*() {
      const d = yield* deploy({ ...WATTTIME_ONLY, ZONES: "watttime:ISONE_WCMA" })
      const outcome = yield* Effect.either(d.run(pollOnceAndExit))
      assert.isTrue(Either.isLeft(outcome))
      assert.strictEqual(Either.isLeft(outcome) ? exitCodeOf(outcome.left) : 0, 1)
    }))

  it.scopedLive("killing the chain's first link: fallback true in the next poll, false again after it recovers", () =>
    Effect.gen(function*() {
      const d = yield* deploy({ ELECTRICITY_MAPS_API_KEY: KEY, ...MIXED })
      const before = {
        ukci: yield* counted(Metrics.fallbacks, { provider: "ukci" }),
        em: yield* counted(Metrics.fallbacks, { provider: "electricitymaps" })
      }
      const files = yield* d.run(Effect.gen(function*() {
        const zoneCheck = yield* ZoneCheck
        const poller = yield* Poller
        yield* zoneCheck.atStart
        // One poll as the poll loop makes it: the zone check's current plan, then the poll.
        const poll = Effect.flatMap(
          zoneCheck.current,
          (plan) => poller.pollOnce(plan.pollable, plan.excluded, plan.chains)
        )
        yield* poll
        const healthy = yield* checkedFile(d, "direct")
        const fault = yield* d.simulator.addFault({ zone: "GB", fault: { kind: "server-error", status: 503 } })
        const killed = yield* poll
        const fellBack = yield* checkedFile(d, "direct")
        yield* d.simulator.removeFault(fault)
        yield* poll
        const recovered = yield* checkedFile(d, "direct")
        return { healthy, killed, fellBack, recovered }
      }))
      assert.deepStrictEqual(files.healthy.sources?.["GB"], source("electricitymaps", "average"))

      assert.deepStrictEqual(files.fellBack.sources?.["GB"], source("ukci", "average", true))
      assert.strictEqual(files.fellBack.regions["GB"]!.zone, "GB")
      assert.strictEqual(files.fellBack.regions["GB"]!.carbonIntensity, ukciValue(files.fellBack, "GB", "national"))
      assert.notProperty(files.fellBack.regions, "ukci:national")
      for (const zone of ["DE", "FR"]) assert.isFalse(files.fellBack.sources?.[zone]?.fallback, zone)
      assert.isFalse(files.fellBack.sources?.["ukci:13"]?.fallback)
      assert.deepStrictEqual(files.killed.failures, [])
      const summaries = d.logLines.filter((line) => line.includes("\"event\":\"poll\""))
      assert.strictEqual(summaries.length, 3)
      assert.notInclude(summaries[0]!, "fallback answered")
      assert.include(summaries[1]!, "fallback answered for GB (ukci)")
      assert.notInclude(summaries[2]!, "fallback answered")

      assert.deepStrictEqual(files.recovered.sources?.["GB"], source("electricitymaps", "average"))
      assert.strictEqual(files.recovered.regions["GB"]!.carbonIntensity, emValue(files.recovered, "GB"))
      const stats = yield* d.simulator.stats()
      assert.strictEqual(stats.ukciByZone["national"], 1, "the fallback is asked only in the poll that needed it")
      assert.strictEqual(stats.byZone["GB"], 1 + 2 + 1, "the first link's retry came before the fallback")
      assert.strictEqual((yield* counted(Metrics.fallbacks, { provider: "ukci" })) - before.ukci, 1)
      assert.strictEqual((yield* counted(Metrics.fallbacks, { provider: "electricitymaps" })) - before.em, 0)
    }))
})

/** Calls the simulator counted per provider, every route of each. */
const countedByProvider = (stats: Simulator.SimulatorStats) => {
  const at = (endpoint: string) => stats.byEndpoint[endpoint] ?? 0
  return {
    electricitymaps: at("latest") + at("forecast") + at("history") + at("zones"),
    ukci: at("ukci-latest") + at("ukci-forecast"),
    watttime: at("watttime-login") + at("watttime-forecast") + at("watttime-my-access")
  }
}

/** `carbon_poller_provider_calls_total` per provider, every kind summed. */
const metricCalls = Effect.gen(function*() {
  const sum = (provider: ProviderId) =>
    Effect.map(
      Effect.forEach(
        ["latest", "forecast", "catalogue", "login"] as const,
        (kind) => counted(Metrics.providerCalls, { provider, kind })
      ),
      (counts) => counts.reduce((a, b) => a + b, 0)
    )
  return {
    electricitymaps: yield* sum("electricitymaps"),
    ukci: yield* sum("ukci"),
    watttime: yield* sum("watttime")
  }
})

const minus = (after: Record<ProviderId, number>, before: Record<ProviderId, number>) => ({
  electricitymaps: after.electricitymaps - before.electricitymaps,
  ukci: after.ukci - before.ukci,
  watttime: after.watttime - before.watttime
})

/** The planned calls in the first hour, per provider, as the start line logged them. */
const loggedPlan = (logLines: ReadonlyArray<string>) =>
  Object.fromEntries(
    logLines.flatMap((line) => {
      const parsed = JSON.parse(line) as { readonly annotations?: Readonly<Record<string, unknown>> }
      const annotations = parsed.annotations ?? {}
      return annotations["event"] === "call_plan"
        ? [[String(annotations["provider"]), annotations["calls_first_hour"]]]
        : []
    })
  )

/** How long a step of live time is while the test waits for real HTTP. */
const liveTick = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 10)))

/**
 * Takes the next poll summary. Meanwhile the poll's HTTP is real, so time alone does not finish
 * it; and WattTime's throttle spaces requests on the (virtual) clock, so while the test waits,
 * virtual time moves to a sleep due within a second (the throttle's; a request's timeout is
 * REQUEST_TIMEOUT_SECONDS away), never further. Bounded: a poll that never ends fails the test.
 */
const nextPoll = (polls: Queue.Queue<PollSummary>) =>
  Effect.gen(function*() {
    for (let tick = 0; tick < 3_000; tick++) {
      const summary = yield* Effect.raceFirst(Queue.take(polls), Effect.as(liveTick, undefined))
      if (summary !== undefined) return summary
      const now = yield* Clock.currentTimeMillis
      const due = Math.min(...(yield* TestClock.sleeps()))
      if (due > now && due - now <= 1_000) yield* TestClock.adjust(Duration.millis(due - now))
    }
    return yield* Effect.dieMessage("no poll summary within 30 s of live time")
  })

/**
 * The long-running service on virtual time through its first hour (the simulator follows the
 * same TestClock, WattTime's token lifetime included): polls at 0, 5, …, 55 minutes after the
 * start, each awaited; then up to the hour's last moment, when nothing is due.
 */
const firstHour = (d: Deployment) =>
  Effect.gen(function*() {
    const startedAt = yield* Clock.currentTimeMillis
    const polls = yield* Queue.unbounded<PollSummary>()
    const watch = summariesInto(polls)
    const service = yield* Effect.fork(
      Layer.launch(d.over(AppLayer.ServiceLayer.pipe(Layer.provide(watch)))).pipe(Effect.withConfigProvider(d.provider))
    )
    const until = (at: number) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => TestClock.adjust(Duration.millis(Math.max(0, at - now))))
    yield* nextPoll(polls)
    for (let poll = 1; poll < 12; poll++) {
      yield* until(startedAt + poll * 5 * 60_000)
      yield* nextPoll(polls)
    }
    yield* until(startedAt + 60 * 60_000 - 1)
    const stats = yield* d.simulator.awaitStats((stats) => stats.inFlight === 0)
    yield* Fiber.interrupt(service)
    return stats
  })

describe("the planned calls", () => {
  const FORECASTS = { FORECAST_WINDOWS_MINUTES: "60", FORECAST_REFRESH_MINUTES: "30", POLL_INTERVAL_MINUTES: "5" }

  it.scoped("equal what the simulator counted over an hour of virtual time: Electricity Maps and the UK API", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-12-07T12:10:00Z"))
      const d = yield* deploy({ ELECTRICITY_MAPS_API_KEY: KEY, ...MIXED, ...FORECASTS })
      const before = yield* metricCalls
      const stats = yield* firstHour(d)
      const counted = countedByProvider(stats)
      assert.deepStrictEqual(loggedPlan(d.logLines), { electricitymaps: counted.electricitymaps, ukci: counted.ukci })
      // The calls metric counts what was sent, request for request.
      assert.deepStrictEqual(minus(yield* metricCalls, before), counted)
      assert.strictEqual(counted.watttime, 0)
      // Not a tautology: both sides spent something of each kind.
      assert.isAbove(stats.byEndpoint["forecast"] ?? 0, 0)
      assert.isAbove(stats.byEndpoint["ukci-forecast"] ?? 0, 0)
    }))

  it.scopedLive("count the catalogue of a provider named only as a fallback, asked at start", () =>
    Effect.gen(function*() {
      const d = yield* deploy({ ZONES: "ukci:1|GB", EMISSION_FACTOR_TYPE: "direct", ELECTRICITY_MAPS_API_KEY: KEY })
      yield* d.run(pollOnceAndExit)
      const stats = yield* d.simulator.stats()
      const counted = countedByProvider(stats)
      assert.deepStrictEqual(loggedPlan(d.logLines), { ukci: 1 + 11, electricitymaps: 1 })
      // --once makes the first poll only: the UK API's one reading, Electricity Maps' /zones.
      assert.deepStrictEqual([counted.ukci, counted.electricitymaps], [1, 1])
      assert.strictEqual(stats.byEndpoint["zones"], 1)
    }))

  it.scoped("equal what the simulator counted over an hour of virtual time: WattTime, logins included", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-12-07T12:10:00Z"))
      const d = yield* deploy({ ...WATTTIME_ONLY, ...FORECASTS })
      const before = yield* metricCalls
      const stats = yield* firstHour(d)
      const counted = countedByProvider(stats)
      assert.deepStrictEqual(loggedPlan(d.logLines), { watttime: counted.watttime })
      // Logins included: the simulator counts them among WattTime's requests.
      assert.deepStrictEqual(minus(yield* metricCalls, before), counted)
      assert.deepStrictEqual([counted.electricitymaps, counted.ukci], [0, 0])
      assert.isAbove(stats.byEndpoint["watttime-login"] ?? 0, 1, "the token was renewed within the hour")
      assert.strictEqual(stats.unauthorized, 0, "renewed before it expired, never on a 401")
    }))
})
