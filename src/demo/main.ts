/**
 * `npm run demo`: the real service against the built-in simulator (Electricity Maps, the UK Carbon
 * Intensity API and WattTime), with no key and no network. `npm run demo -- --uk` polls UK regions
 * through the keyless UK API, as would `ZONES=ukci:13,ukci:16 npm run demo`. Shows each poll as a ranked table; on the third poll the simulator fails one of
 * the configured zones so the last-known-good rule is visible, and the next poll recovers.
 * With forecasts on (60- and 240-minute windows unless FORECAST_WINDOWS_MINUTES says otherwise), the
 * best windows are shown under the table. Ctrl-C stops both.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Config, ConfigProvider, Console, Effect, Either, Layer, Option, Stream } from "effect"
import * as AppLayer from "../app/AppLayer.js"
import * as Program from "../app/Program.js"
import { CacheConfig } from "../config/CacheConfig.js"
import { PollingConfig } from "../config/PollingConfig.js"
import { parseZoneChains, providersOf } from "../domain/ZoneChain.js"
import * as NodePlatform from "../platform/NodePlatform.js"
import { PollStatus } from "../poll/PollStatus.js"
import * as Simulator from "../simulator/Simulator.js"
import { DEFAULT_PASSWORD, DEFAULT_USERNAME } from "../simulator/watttime/Signal.js"
import { flakyZoneOf, outageOf } from "./FlakyZone.js"
import { renderPoll } from "./RankedTable.js"

/** Where the demo writes unless CACHE_FILE says otherwise: under the working directory. */
export const DEMO_CACHE_FILE = ".cache/demo/carbon_cache.json"
const DEMO_ZONES = "US-CAL-CISO,US-TEX-ERCO,US-NY-NYIS,US-MIDA-PJM,US-MIDW-MISO,DE,FR,GB|ukci:national,SE,PL"
/** `--uk`: London, the South East, Scotland, Wales and Great Britain, keyless. */
const UK_ZONES = "ukci:13,ukci:14,ukci:16,ukci:17,ukci:national"

/**
 * The basis the zones can be ranked on, unless the environment says: Electricity Maps gives either
 * emission factor, the UK API direct only, WattTime marginal direct only; asking the UK API for
 * lifecycle values would be refused at start.
 */
const basisDefaultsFor = (zones: string): ReadonlyArray<readonly [string, string]> =>
  Either.match(parseZoneChains(zones), {
    onLeft: () => [],
    onRight: (chains) => {
      const providers = providersOf(chains)
      return [
        ...([...providers].some((provider) => provider !== "electricitymaps")
          ? [["EMISSION_FACTOR_TYPE", "direct"] as const]
          : []),
        ...(providers.has("watttime") ? [["SIGNAL", "marginal"] as const] : [])
      ]
    }
  })

/** The demo's own defaults; any variable set in the environment wins, except where the APIs are. */
const demoDefaults = (zones: string) =>
  new Map([
    ["POLL_INTERVAL_MINUTES", "0.1"],
    ["CACHE_TTL_MINUTES", "2"],
    ["CACHE_FILE", DEMO_CACHE_FILE],
    ["ZONES", zones],
    ...basisDefaultsFor(zones),
    ["LOG_LEVEL", "warning"],
    ["HTTP_PORT", "0"],
    ["RETRY_BASE_DELAY_SECONDS", "0.1"],
    // The demo shows what the service can do: forecasts on (the service's own default is off).
    // `FORECAST_WINDOWS_MINUTES= npm run demo` turns them off.
    ["FORECAST_WINDOWS_MINUTES", "60,240"]
  ])

const watchPolls = (simulator: Simulator.SimulatorHandle) =>
  Effect.gen(function*() {
    const status = yield* PollStatus
    const { cacheFile } = yield* CacheConfig
    const flakyZone = flakyZoneOf((yield* PollingConfig).zones)
    yield* status.summaries.pipe(
      Stream.zipWithIndex,
      Stream.runForEach(([summary, index]) =>
        Effect.gen(function*() {
          // A poll that wrote nothing still shows the table: the file on disk is the previous one.
          const { lastWrite } = yield* status.get
          const cache = Option.getOrUndefined(
            Option.orElse(summary.written, () => Option.map(lastWrite, (written) => written.cache))
          )
          yield* Console.log(renderPoll(index + 1, summary, cache, cacheFile))
          if (index + 1 === 2 && flakyZone !== undefined) {
            yield* Console.log(
              `demo: the simulator will now answer 503 to ${flakyZone} for one poll (4 attempts with retries)\n`
            )
            yield* simulator.addFault(outageOf(flakyZone, 4)).pipe(Effect.orDie)
          }
        })
      )
    )
  })

const demo = (options: { readonly uk: boolean }) =>
  Effect.gen(function*() {
    const environment = ConfigProvider.fromEnv()
    const zones = Option.getOrElse(
      yield* Effect.withConfigProvider(Config.option(Config.string("ZONES")), environment).pipe(
        Effect.orElseSucceed(() => Option.none<string>())
      ),
      () => options.uk ? UK_ZONES : DEMO_ZONES
    )
    const simulator = yield* Simulator.start({ port: 0, seed: 42, latencyMs: 40, jitterMs: 30 })
    yield* Console.log(
      `demo: simulator (Electricity Maps, UK Carbon Intensity, WattTime) on ${simulator.baseUrl}; polling every 6 s; Ctrl-C to stop\n`
    )
    const provider = ConfigProvider.fromMap(
      new Map([
        ["ELECTRICITY_MAPS_API_URL", simulator.baseUrl],
        ["ELECTRICITY_MAPS_API_KEY", "demo-key"],
        ["UKCI_API_URL", simulator.ukciBaseUrl],
        ["WATTTIME_API_URL", simulator.wattTimeUrl],
        ["WATTTIME_USERNAME", DEFAULT_USERNAME],
        ["WATTTIME_PASSWORD", DEFAULT_PASSWORD]
      ])
    ).pipe(
      ConfigProvider.orElse(() => environment),
      ConfigProvider.orElse(() => ConfigProvider.fromMap(demoDefaults(zones)))
    )
    // The table is one more layer over the same services, built before the service so that it
    // watches from the first poll on.
    const table = Layer.scopedDiscard(Effect.forkScoped(watchPolls(simulator))).pipe(
      Layer.provide(AppLayer.ServicesLayer)
    )
    return yield* Layer.launch(
      AppLayer.ServiceLayer.pipe(
        Layer.provide(table),
        Layer.provide(AppLayer.ConfigLayer({ stdoutIsTerminal: process.stdout.isTTY === true, keyRequired: true })),
        Layer.provide(NodePlatform.layer),
        Layer.provide(Layer.setConfigProvider(provider))
      )
    )
  }).pipe(Effect.scoped)

NodeRuntime.runMain(
  Effect.as(demo({ uk: process.argv.slice(2).includes("--uk") }), 0).pipe(
    Effect.catchAll((error) => Effect.as(Console.error(`demo: ${error.message}`), 1))
  ),
  { disableErrorReporting: true, disablePrettyLogger: true, teardown: Program.teardown }
)
