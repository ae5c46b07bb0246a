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
import { Context, Effect, Layer } from "effect"
import * as ClusterMode from "../cluster/ClusterMode.js"
import * as Configuration from "../config/Configuration.js"
import { PollingConfig } from "../config/PollingConfig.js"
import { type ConfigIssue, InvalidConfig } from "../config/Variables.js"
import type { ProviderId } from "../domain/Provider.js"
import { providerName } from "../domain/ProviderFacts.js"
import { providersOf } from "../domain/ZoneChain.js"
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
import { CarbonSource } from "../ports/CarbonSource.js"
import { makeRegistry, SourceRegistry } from "../ports/SourceRegistry.js"
import * as ElectricityMapsSource from "../providers/electricitymaps/ElectricityMapsSource.js"
import { logStart } from "./Commands.js"

/** What the platform provides. */
export type Platform = HttpClient.HttpClient | FileSystem.FileSystem | Path.Path | FileModes | HttpListener

/** Source adapters by what each needs, with the provider each serves. */
export type SourceAdapters<R extends readonly [unknown, ...Array<unknown>]> = {
  readonly [K in keyof R]: { readonly provider: ProviderId; readonly layer: Layer.Layer<CarbonSource, never, R[K]> }
}

/** Output adapters by what each needs: each gives one output, or a list (cluster mode's, empty for a sidecar). */
export type OutputAdapters<R extends ReadonlyArray<unknown>> = {
  readonly [K in keyof R]: Effect.Effect<CacheOutputShape | ReadonlyArray<CacheOutputShape>, never, R[K]>
}

/**
 * A layer whose module is loaded only when the layer is built. The build splits it into a chunk of
 * its own, so a run loads the code of the providers ZONES names and no other; on Node 20 without a
 * compile cache the smaller main module also lowers the peak of parsing it at start.
 */
const loadedWhenBuilt = <ROut, E, RIn>(
  load: () => Promise<{ readonly layer: Layer.Layer<ROut, E, RIn> }>
): Layer.Layer<ROut, E, RIn> => Layer.unwrapEffect(Effect.map(Effect.promise(load), (module) => module.layer))

/**
 * The source adapters, one line per provider: `{ provider, layer }`, where `layer` provides the
 * `CarbonSource` port for that provider's own ids. A run builds only those ZONES names. Electricity
 * Maps, the default provider, is bundled with the service; the others load when ZONES names them.
 */
export const sources = [
  { provider: "electricitymaps", layer: ElectricityMapsSource.layer },
  { provider: "ukci", layer: loadedWhenBuilt(() => import("../providers/ukci/UkciSource.js")) },
  { provider: "watttime", layer: loadedWhenBuilt(() => import("../providers/watttime/WattTimeSource.js")) }
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

/** The configured links whose provider has no adapter in the list: nothing could ask them. */
const unservedIssues = (
  chains: ReadonlyArray<{ readonly links: ReadonlyArray<{ readonly key: string; readonly provider: ProviderId }> }>,
  listed: ReadonlySet<ProviderId>
): ReadonlyArray<ConfigIssue> =>
  chains.flatMap((chain) => chain.links).filter((link) => !listed.has(link.provider)).map((link) => ({
    variable: "ZONES",
    value: link.key,
    expected: `zone ${link.key} names ${providerName(link.provider)}, which this build has no source for`
  }))

/**
 * The sources a run needs, built once, and the key-to-provider routing over them. With `which`
 * "named" (the service), only the providers ZONES names are built, so an unnamed provider's
 * variables and credentials are never read; every link, first or fallback, must then be served by
 * a listed source. (That each is of the deployment's basis was checked with the configuration,
 * from the providers' facts.) With "every" (the `zones` command), every listed provider is built,
 * to list its zones.
 */
const registryLayer = <R extends readonly [unknown, ...Array<unknown>]>(
  adapters: SourceAdapters<R>,
  which: "named" | "every"
) => {
  const all: ReadonlyArray<SourceAdapters<R>[number]> = adapters
  return Layer.scoped(
    SourceRegistry,
    Effect.gen(function*() {
      const { chains } = yield* PollingConfig
      const named = providersOf(chains)
      const listed = new Set(all.map((adapter) => adapter.provider))
      const unserved = which === "named" ? unservedIssues(chains, listed) : []
      if (unserved.length > 0) return yield* new InvalidConfig({ issues: unserved })
      const built = yield* Effect.forEach(
        all.filter((adapter) => which === "every" || named.has(adapter.provider)),
        (adapter) => Effect.map(Layer.build(adapter.layer), Context.get(CarbonSource))
      )
      return makeRegistry(built)
    })
  )
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
  const SourceLayer = registryLayer(adapters.sources, "named")

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

  return { ServicesLayer, ServiceLayer, CatalogueLayer: registryLayer(adapters.sources, "every") }
}

export const { CatalogueLayer, ServiceLayer, ServicesLayer } = assemble({ sources, outputs })

/** The configuration, read once from the current `ConfigProvider`, and logging as it says. */
export const ConfigLayer = (options: Configuration.LoadOptions) =>
  Logging.layer.pipe(Layer.provideMerge(Configuration.layer(options)))
