/**
 * `npm run demo`: the real service against the built-in Electricity Maps simulator, with no key
 * and no network. Shows each poll as a ranked table; on the third poll the simulator fails one of
 * the configured zones so the last-known-good rule is visible, and the next poll recovers.
 * With forecasts on (60- and 240-minute windows unless FORECAST_WINDOWS_MINUTES says otherwise), the
 * best windows are shown under the table. Ctrl-C stops both.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { ConfigProvider, Console, Effect, Layer, Option, Stream } from "effect"
import * as AppLayer from "../app/AppLayer.js"
import * as Program from "../app/Program.js"
import { CacheConfig } from "../config/CacheConfig.js"
import { PollingConfig } from "../config/PollingConfig.js"
import * as NodePlatform from "../platform/NodePlatform.js"
import { PollStatus } from "../poll/PollStatus.js"
import * as Simulator from "../simulator/Simulator.js"
import { flakyZoneOf } from "./FlakyZone.js"
import { renderPoll } from "./RankedTable.js"

/** Where the demo writes unless CACHE_FILE says otherwise: under the working directory. */
export const DEMO_CACHE_FILE = ".cache/demo/carbon_cache.json"
const DEMO_ZONES = "US-CAL-CISO,US-TEX-ERCO,US-NY-NYIS,US-MIDA-PJM,US-MIDW-MISO,DE,FR,GB,SE,PL"

/** The demo's own defaults; any variable set in the environment wins, except where the API is. */
const demoDefaults = new Map([
  ["POLL_INTERVAL_MINUTES", "0.1"],
  ["CACHE_TTL_MINUTES", "2"],
  ["CACHE_FILE", DEMO_CACHE_FILE],
  ["ZONES", DEMO_ZONES],
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
            yield* simulator.addFault({
              zone: flakyZone,
              fault: { kind: "server-error", status: 503 },
              route: "latest",
              when: { next: 4 }
            }).pipe(
              Effect.orDie
            )
          }
        })
      )
    )
  })

const demo = Effect.gen(function*() {
  const simulator = yield* Simulator.start({ port: 0, seed: 42, latencyMs: 40, jitterMs: 30 })
  yield* Console.log(`demo: Electricity Maps simulator on ${simulator.baseUrl}; polling every 6 s; Ctrl-C to stop\n`)
  const provider = ConfigProvider.fromMap(
    new Map([
      ["ELECTRICITY_MAPS_API_URL", simulator.baseUrl],
      ["ELECTRICITY_MAPS_API_KEY", "demo-key"]
    ])
  ).pipe(
    ConfigProvider.orElse(() => ConfigProvider.fromEnv()),
    ConfigProvider.orElse(() => ConfigProvider.fromMap(demoDefaults))
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
  Effect.as(demo, 0).pipe(Effect.catchAll((error) => Effect.as(Console.error(`demo: ${error.message}`), 1))),
  { disableErrorReporting: true, disablePrettyLogger: true, teardown: Program.teardown }
)
