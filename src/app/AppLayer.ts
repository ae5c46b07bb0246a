/**
 * The one place the service is assembled: the source and output adapters, the services over
 * them, and the parts that run for the life of the service (the endpoints, the poll loop, the
 * forecast refresher; cluster mode's mirror comes with its layer). Each part is a layer; nothing
 * here starts a fiber by hand. The configuration and the platform (HTTP client, filesystem, path,
 * file modes, the endpoints' HTTP listener) are provided by the caller: Node's in src/main.ts, the
 * simulator's in the demo, fakes in tests.
 *
 * Adding a provider is one line in `sources`; adding an output is one line in `outputs`. An output
 * that is a service of its own (cluster mode's, KEDA's) is provided under the list, so it can read
 * the forecasts and the leadership.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Path from "@effect/platform/Path"
import { Effect, Layer } from "effect"
import * as ClusterMode from "../cluster/ClusterMode.js"
import * as Configuration from "../config/Configuration.js"
import { PollingConfig } from "../config/PollingConfig.js"
import { parseZoneRef, type ProviderId } from "../domain/Provider.js"
import * as ForecastRefresher from "../forecast/ForecastRefresher.js"
import { Forecasts } from "../forecast/Forecasts.js"
import * as HttpEndpoints from "../http/HttpEndpoints.js"
import type { HttpListener } from "../http/HttpListener.js"
import * as Logging from "../observability/Logging.js"
import { PrometheusMetrics } from "../observability/PrometheusExposition.js"
import type { FileModes } from "../outputs/file/FileModes.js"
import * as FileOutput from "../outputs/file/FileOutput.js"
import * as KedaOutput from "../outputs/keda/KedaOutput.js"
import { Poller } from "../poll/Poller.js"
import * as PollLoop from "../poll/PollLoop.js"
import { PollStatus } from "../poll/PollStatus.js"
import { StartPlan, ZoneCheck } from "../poll/ZoneCheck.js"
import { CacheOutputs, type CacheOutputShape } from "../ports/CacheOutput.js"
import type { CarbonSource } from "../ports/CarbonSource.js"
import * as ElectricityMapsSource from "../providers/electricitymaps/ElectricityMapsSource.js"
import * as UkciSource from "../providers/ukci/UkciSource.js"
import * as WattTimeSource from "../providers/watttime/WattTimeSource.js"
import { logStart } from "./Commands.js"

/** What the platform provides. */
export type Platform = HttpClient.HttpClient | FileSystem.FileSystem | Path.Path | FileModes | HttpListener

/** Source adapters by what each needs, with the provider each serves; the first is the default. */
export type SourceAdapters<R extends readonly [unknown, ...Array<unknown>]> = {
  readonly [K in keyof R]: { readonly provider: ProviderId; readonly layer: Layer.Layer<CarbonSource, never, R[K]> }
}

/** Output adapters by what each needs: each gives one output, or a list (cluster mode's, empty for a sidecar). */
export type OutputAdapters<R extends ReadonlyArray<unknown>> = {
  readonly [K in keyof R]: Effect.Effect<CacheOutputShape | ReadonlyArray<CacheOutputShape>, never, R[K]>
}

/**
 * The source adapters, one line per provider. The first serves when ZONES names no listed provider
 * or several: Electricity Maps, the provider of a zone key without a prefix.
 */
export const sources = [
  { provider: "electricitymaps", layer: ElectricityMapsSource.layer },
  { provider: "ukci", layer: UkciSource.layer },
  { provider: "watttime", layer: WattTimeSource.layer }
] as const

/**
 * The output adapters, one line per output, in the order a poll writes them: the most
 * authoritative first, since the first that recalls a cache also seeds last-known-good.
 */
export const outputs = [
  ClusterMode.ClusterOutputs,
  FileOutput.CacheFileOutput,
  KedaOutput.KedaOutputs
] as const

/** One source serves every zone: the one of the provider that ZONES names, if listed. */
const providerOf = (zones: ReadonlyArray<string>): ProviderId | undefined => {
  const named = new Set(zones.map((zone) => parseZoneRef(zone).provider))
  return named.size === 1 ? [...named][0] : undefined
}

const sourceLayer = <R extends readonly [unknown, ...Array<unknown>]>(adapters: SourceAdapters<R>) => {
  const first: Layer.Layer<CarbonSource, never, R[number]> = adapters[0].layer
  const all: ReadonlyArray<SourceAdapters<R>[number]> = adapters
  return Layer.unwrapEffect(Effect.map(PollingConfig, ({ zones }) => {
    const provider = providerOf(zones)
    const chosen: Layer.Layer<CarbonSource, never, R[number]> | undefined = all.find((adapter) =>
      adapter.provider === provider
    )?.layer
    return chosen ?? first
  }))
}

const outputsLayer = <R extends ReadonlyArray<unknown>>(adapters: OutputAdapters<R>) => {
  const all: ReadonlyArray<Effect.Effect<CacheOutputShape | ReadonlyArray<CacheOutputShape>, never, R[number]>> =
    adapters
  return Layer.effect(CacheOutputs, Effect.map(Effect.all(all), (each) => each.flat()))
}

/** The start line, then the zone check at start, which stops the start when no configured zone exists. */
const StartLayer = Layer.effect(
  StartPlan,
  Effect.zipRight(logStart, Effect.flatMap(ZoneCheck, (check) => check.atStart))
)

/** The service over the given adapters; `AppLayer`'s own exports are it over `sources` and `outputs`. */
export const assemble = <
  const SR extends readonly [unknown, ...Array<unknown>],
  const OR extends ReadonlyArray<unknown>
>(
  adapters: { readonly sources: SourceAdapters<SR>; readonly outputs: OutputAdapters<OR> }
) => {
  const SourceLayer = sourceLayer(adapters.sources)

  /** Every service, nothing running yet (cluster mode's mirror aside): what `--once` and tests use. */
  const ServicesLayer = Layer.mergeAll(Poller.Default, ZoneCheck.Default).pipe(
    Layer.provideMerge(outputsLayer(adapters.outputs)),
    // The KEDA ConfigMap is a forecast, published by the leader: built over both.
    Layer.provideMerge(KedaOutput.layer),
    Layer.provideMerge(Forecasts.Default),
    Layer.provideMerge(ClusterMode.layer),
    Layer.provideMerge(Layer.mergeAll(FileOutput.layer, SourceLayer, PrometheusMetrics.Default)),
    Layer.provideMerge(PollStatus.Default)
  )

  /**
   * The long-running service: every service and what runs over them. `Layer.provide` builds its
   * argument first, so read the chain from the bottom up for the start order: the services, the
   * endpoints (probes get an answer while a slow catalogue holds up the zone check), the start
   * line and the zone check, the forecast refresher, the poll loop.
   */
  const ServiceLayer = PollLoop.layer.pipe(
    Layer.provide(ForecastRefresher.layer),
    Layer.provide(StartLayer),
    Layer.provide(HttpEndpoints.layer),
    Layer.provideMerge(ServicesLayer)
  )

  return { ServicesLayer, ServiceLayer, CatalogueLayer: SourceLayer }
}

export const { CatalogueLayer, ServiceLayer, ServicesLayer } = assemble({ sources, outputs })

/** The configuration, read once from the current `ConfigProvider`, and logging as it says. */
export const ConfigLayer = (options: Configuration.LoadOptions) =>
  Logging.layer.pipe(Layer.provideMerge(Configuration.layer(options)))
